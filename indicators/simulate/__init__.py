"""Simulations, nothing stored but the exact plans: the what-if on the computed scale (``whatif``)
and on the official scale (``official_whatif``); planning on the official scale (``planning``:
where new GPs help most, plans, needs; ``params``: the request; ``exact`` and ``jobs``: the exact
answers by integer programming, stored in ``models.ExactPlan``)."""
