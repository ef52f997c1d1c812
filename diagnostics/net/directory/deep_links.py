"""Deep links into providers' help for one task each: where to create an app password,
where to switch IMAP on, how an administrator allows SMTP AUTH. An error's advice
links straight to the step it asks for (provider_help.PROVIDER_HELP says it in words).

Keyed by provider id and topic (provider_help.APP_PASSWORD, IMAP_SWITCH, SMTP_AUTH_SWITCH).
Plain data, no network.
"""

_ZOHO_IMAP = {
    "zoho": "https://www.zoho.com/mail/help/imap-access.html",
    "zoho-eu": "https://www.zoho.eu/mail/help/imap-access.html",
    "zoho-in": "https://www.zoho.in/mail/help/imap-access.html",
    "zoho-au": "https://www.zoho.com.au/mail/help/imap-access.html",
    "zoho-jp": "https://www.zoho.jp/mail/help/imap-access.html",
}

LINKS: dict[tuple[str, str], str] = {
    ("icloud", "app_password"): "https://support.apple.com/102654",
    ("yahoo", "app_password"): "https://help.yahoo.com/kb/SLN15241.html",
    ("aol", "app_password"): "https://help.aol.com/articles/Create-and-manage-app-password",
    ("fastmail", "app_password"): "https://www.fastmail.help/hc/en-us/articles/360058752854",
    **{(zoho, "imap_switch"): url for zoho, url in _ZOHO_IMAP.items()},
    ("gmx", "imap_switch"): "https://hilfe.gmx.net/pop-imap/einschalten.html",
    ("gmx-com", "imap_switch"): "https://support.gmx.com/pop-imap/toggle.html",
    ("webde", "imap_switch"): "https://hilfe.web.de/pop-imap/einschalten.html",
    ("microsoft", "smtp_auth_switch"): (
        "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/"
        "authenticated-client-smtp-submission"
    ),
}


def link(provider_id: str, topic: str) -> str:
    """The provider's page for this task, or "" when we know none."""
    return LINKS.get((provider_id, topic), "")
