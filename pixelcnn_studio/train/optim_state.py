"""Optimiser state keyed by parameter name, so a resume survives a change in parameter order.

torch's optimiser state_dict indexes parameters by position in `model.parameters()`; reordering
modules in the model code (without changing any weight) would silently pair Adam moments with
the wrong tensors. Names are what the model's own state_dict uses, so they are stable.
"""
from __future__ import annotations


def optimizer_state_by_name(opt, model) -> dict:
    names = [n for n, _ in model.named_parameters()]
    sd = opt.state_dict()
    groups = [{**g, "params": [names[i] for i in g["params"]]} for g in sd["param_groups"]]
    return {"by_name": True, "state": {names[i]: s for i, s in sd["state"].items()}, "param_groups": groups}


def load_optimizer_state(opt, model, saved: dict, saved_model_keys=None) -> None:
    """Load state saved by optimizer_state_by_name (or an older positional one)."""
    current = [n for n, _ in model.named_parameters()]
    index = {n: i for i, n in enumerate(current)}
    if saved.get("by_name"):
        state = {index[n]: s for n, s in saved["state"].items()}
        groups = [{**g, "params": sorted(index[n] for n in g["params"])} for g in saved["param_groups"]]
    else:
        # Positional: recover the saving model's parameter order from its state_dict key order.
        known = set(current)
        old_order = [k for k in (saved_model_keys or current) if k in known]
        state = {index[old_order[int(i)]]: s for i, s in saved["state"].items()}
        groups = [{**g, "params": sorted(index[old_order[int(i)]] for i in g["params"])}
                  for g in saved["param_groups"]]
    # torch pairs the ids in each group's list with that group's current parameters by position,
    # so the lists must be in the current order (sorted indices) for the names to line up.
    opt.load_state_dict({"state": state, "param_groups": groups})
