"""Analytics of the ambassador programme, one module per question a reader asks.

- :mod:`~referral.analytics.rollup`: the visits rolled up per share link and local day (the
  worker keeps it current; pages only read it and say how fresh it is);
- :mod:`~referral.analytics.scope`: the period, the filters, and what a viewer may see (a
  manager: their direction and its sub-directions);
- :mod:`~referral.analytics.funnel`: from share links to hires, grouped;
- :mod:`~referral.analytics.weekly`: the same over time, week by week;
- :mod:`~referral.analytics.leaderboards`: agents and directions ranked;
- :mod:`~referral.analytics.training_effect`: the before/after effect of a training, with its
  groups, windows and 95% interval; :mod:`~referral.analytics.linkedin_effect`: the same on
  the LinkedIn measures of consenting agents.

The package itself exports nothing: import the module that answers your question.
"""
