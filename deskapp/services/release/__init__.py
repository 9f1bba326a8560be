"""Release slips (物品放行条): checks, the large-item catalogue, the rules, the slip's life.

``slips`` is what a screen calls: ``create``/``revise``, ``offered_numbers`` and
``record_confirmation``/``record_in_person``, ``record_fees_settled``, ``problems``
and ``issue``, the gate (``at_gate``, ``tick``, ``release``, ``send_back``),
``file``, ``void``, ``mark_returned`` and the desk's lists.
"""
