from core.errors import one_line, printable


def test_printable_escapes_control_characters_and_keeps_the_rest():
    assert printable("Oma\nund Opa\t1950 ü.jpg") == "Oma\\nund Opa\\t1950 ü.jpg"
    assert printable("plain") == "plain"


def test_one_line_joins_lines_and_cuts_at_a_word():
    assert one_line(ValueError("a\n  b")) == "a b"
    cut = one_line(ValueError("weights_only load failed " * 20), 60)
    assert len(cut) <= 60 and cut.endswith("…") and cut[:-1].split()[-1] in ("weights_only", "load", "failed")
    assert one_line(ValueError()) == "ValueError"
