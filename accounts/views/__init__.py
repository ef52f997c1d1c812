"""The accounts pages: getting in (`entry`) and a person's mailboxes (`mailboxes`)."""
