"""Provided trading rules. A rule is a function of named daily data inputs (`systems.daily.Daily`)
plus keyword `other_args`, returning a raw forecast as a `Daily` (or a pandas Series on a
business-day DatetimeIndex)."""
