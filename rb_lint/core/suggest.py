"""The did-you-mean every family shares: for keys, categories, attributes, options, classes."""

from __future__ import annotations

from collections.abc import Sequence


def closest_name(word: str, choices: Sequence[str], cutoff: float = 0.6) -> str | None:
    """The name `word` most likely means: same letters in another case, the one name it begins,
    or the closest by difflib above `cutoff`."""
    by_case = {choice.casefold(): choice for choice in choices}
    folded = word.casefold()
    if folded in by_case:
        return by_case[folded]
    starting = [choice for choice in choices if folded and choice.casefold().startswith(folded)]
    if len(starting) == 1:
        return starting[0]
    import difflib  # only for a misspelt name: not at every start-up

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return close[0] if close else None
