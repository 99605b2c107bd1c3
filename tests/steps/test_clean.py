from __future__ import annotations

from newscorpus.document import Document
from newscorpus.steps import CleanText


def _doc(text: str, title: str | None = "Title") -> Document:
    return Document(id="0" * 16, url="u", canonical_url="u", domain="d", text=text, title=title)


def test_decoration_and_blank_paragraphs_are_removed_text_kept() -> None:
    text = "\n\n".join(
        [
            "Voir aussi : la suite de l’enquête",
            "\u00a0\u00a0\u00a0",
            "Le conseil municipal a voté le budget.",
            "----------------------------------------",
            "• • •",
            "***",
            "Les travaux commenceront en mai.",
        ]
    )
    step = CleanText()
    (doc,) = step.run([_doc(text)])
    assert doc.text.split("\n\n") == [
        "Voir aussi : la suite de l’enquête",
        "Le conseil municipal a voté le budget.",
        "Les travaux commenceront en mai.",
    ]
    assert step.stats["removed_empty_or_decoration_paragraphs"] == 4
    assert doc.word_count == 19


def test_mojibake_is_repaired_and_text_is_nfc() -> None:
    (doc,) = CleanText().run([_doc("Le cafÃ© est fermÃ©.\n\nCafe\u0301 \u200bouvert.", "Ã‰tÃ©")])
    assert doc.text == "Le café est fermé.\n\nCafé ouvert."
    assert doc.title == "Été"


def test_cjk_punctuation_and_curly_quotes_survive() -> None:
    text = "东京，今天下雨。\n\n“Quoted” l’école «bien»"
    (doc,) = CleanText().run([_doc(text)])
    assert doc.text == text


def test_documents_left_empty_are_dropped_counted_and_kept_aside() -> None:
    kept_aside: list[tuple[str, str, Document]] = []
    step = CleanText(on_drop=lambda name, reason, doc: kept_aside.append((name, reason, doc)))
    assert list(step.run([_doc("-----\n\n\u00a0")])) == []
    assert step.stats["dropped.empty_after_cleaning"] == 1
    # --keep-dropped gets it, as it came
    assert [(n, r, d.text) for n, r, d in kept_aside] == [
        ("clean", "empty_after_cleaning", "-----\n\n\u00a0")
    ]
