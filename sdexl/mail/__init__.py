"""Mail for a round: invitations, reminders, feedback and receipts, drafted or sent, and recorded.

    plan.py       who gets which message (participants, status, what was sent before)
    templates.py  the Danish texts in templates/mail/*.txt (the workspace's own, or the built-in ones)
    compose.py    one message, built with the standard library's email package
    deliver.py    .eml drafts in outgoing/SURVEY/mail/, or SMTP with STARTTLS, rate-limited
    record.py     every message in the ledger (table mail); the same message is not sent twice
"""
