"""Account groups: global accounts made of units (subsidiaries, regions, country entities).

An account belongs to its parent through ``accounts.parent_account_id``; :mod:`kamtools.groups.tree`
turns that column into a hierarchy (group, depth, path, descendants) that the roll-ups, the
opportunity map and the reports use.
"""
