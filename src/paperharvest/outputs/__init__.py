"""What users read, made from store queries: pure rendering, rows in and text out."""


def shorten(text: str, width: int = 40) -> str:
    """`text` cut to `width` characters, an ellipsis the last, when it is longer."""
    return text if len(text) <= width else text[: width - 1] + "…"
