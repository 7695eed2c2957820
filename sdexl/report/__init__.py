"""Municipality reports: each municipality's figures beside its KKR, comparable municipalities and the country."""
