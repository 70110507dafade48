"""The engine's layer: findings, rules, configuration, selection, typed memo, context and the run itself.

It knows nothing of RedBrick formats: a document is anything that fits `target.Target`.
"""
