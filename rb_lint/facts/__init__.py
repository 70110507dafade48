"""Typed, memoised extraction that rules share (no judgements: rules decide what is wrong)."""
