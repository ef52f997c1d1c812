from diagnostics.net.sent_folder import find_sent, parse_list


def _names(data):
    return [f.name for f in parse_list(data)]


def test_it_parses_flags_delimiters_and_quoted_names():
    folders = parse_list([b'(\\HasNoChildren \\Sent) "." "Sent Items"', b'(\\Noselect) "/" INBOX'])
    assert folders[0].name == "Sent Items" and "\\sent" in folders[0].flags
    assert folders[0].delimiter == "."
    assert not folders[1].selectable


def test_it_decodes_modified_utf7_names():
    assert _names([b'(\\HasNoChildren) "." "&AMk-l&AOk-ments envoy&AOk-s"']) == ["Éléments envoyés"]


def test_it_reads_literal_names():
    assert _names([(b'(\\HasNoChildren) "/" {4}', b"Sent")]) == ["Sent"]


def test_it_prefers_the_flagged_folder():
    folders = parse_list([b'(\\HasNoChildren) "." Sent', b'(\\HasNoChildren \\Sent) "." Outbox-archive'])
    assert find_sent(folders).name == "Outbox-archive"


def test_it_falls_back_to_known_names_under_a_namespace_prefix():
    folders = parse_list([b'(\\HasNoChildren) "." INBOX', b'(\\HasNoChildren) "." "INBOX.Gesendete Objekte"'])
    assert find_sent(folders).name == "INBOX.Gesendete Objekte"


def test_it_skips_unselectable_folders():
    folders = parse_list([b'(\\Noselect \\Sent) "/" "[Gmail]/Sent Mail"'])
    assert find_sent(folders) is None


def test_it_finds_nothing_without_a_sent_folder():
    assert find_sent(parse_list([b'(\\HasNoChildren) "." INBOX', b'() "." Drafts'])) is None
