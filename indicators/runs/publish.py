"""The publish gate: a finished run is published at once, or held for an administrator when its
supply file covers fewer départements, too many communes change class, or any département loses
too much of its supply or sees too many of its communes change class; republish, discard, prune
old runs' values.
"""

from collections import Counter

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from indicators.models import Classification, ComputationRun
from indicators.runs import partitions
from indicators.runs.cache import forget_other_runs
from indicators.runs.diff import compute_diff, full_diff
from indicators.runs.lock import computation_lock


def _supply_departements(dataset_id) -> int:
    from offers.models import GPSupply

    if not dataset_id:
        return 0
    return GPSupply.objects.filter(dataset_id=dataset_id).values("commune__departement").distinct().count()


def gate_thresholds() -> dict:
    """The thresholds the gate applies (recorded in every run's parameters)."""
    from django.conf import settings

    return {
        "share": settings.PUBLISH_GATE_SHARE,
        "departement_supply_loss": settings.PUBLISH_GATE_DEPARTEMENT_SUPPLY_LOSS,
        "departement_share": settings.PUBLISH_GATE_DEPARTEMENT_SHARE,
        "departement_min_communes": settings.PUBLISH_GATE_DEPARTEMENT_MIN_COMMUNES,
    }


def _percent(value: float) -> str:
    return f"{value:.0%}".replace("%", " %")


def _supply_by_departement(dataset_id) -> dict[str, float]:
    from django.db.models import Sum

    from offers.models import GPSupply

    rows = (
        GPSupply.objects.filter(dataset_id=dataset_id)
        .values_list("commune__departement")
        .annotate(total=Sum("headcount"))
    )
    return {dep: total or 0.0 for dep, total in rows}


def _departement_reasons(previous, run, params, thresholds, diff, codes) -> tuple[list[str], dict]:
    """Départements that lose too much GP supply or see too many communes reclassified (``diff``:
    the run's diff, complete unless truncated; ``codes``: the run's communes)."""
    from territories.models import Commune, Departement

    found = {}
    before = (previous.parameters or {}).get("supply", {}).get("dataset_id")
    after = params.get("supply", {}).get("dataset_id")
    if after and before and after != before:
        supply_before, supply_after = _supply_by_departement(before), _supply_by_departement(after)
        for dep, total in supply_before.items():
            loss = (total - supply_after.get(dep, 0.0)) / total if total > 0 else 0.0
            if loss > thresholds["departement_supply_loss"]:
                found.setdefault(dep, []).append(
                    f"perd {_percent(loss)} de son offre de médecins généralistes "
                    f"({total:.0f} → {supply_after.get(dep, 0.0):.0f}, seuil "
                    f"{_percent(thresholds['departement_supply_loss'])})"
                )
    rows = full_diff(previous, run) if diff["truncated"] else diff["changed"]  # read again if cut
    changed = {row["code"] for row in rows}
    # every commune's département (no IN list of 35,000 codes), counted over the run's communes
    dep_of = dict(Commune.objects.values_list("code", "departement_id"))
    total = Counter(dep_of[c] for c in codes if c in dep_of)
    moved = Counter(dep_of[c] for c in changed if c in dep_of)
    for dep, count in moved.items():
        share = count / total[dep]
        if count >= thresholds["departement_min_communes"] and share > thresholds["departement_share"]:
            found.setdefault(dep, []).append(
                f"{count} communes sur {total[dep]} changent de classe ({_percent(share)}, seuil "
                f"{_percent(thresholds['departement_share'])})"
            )
    names = dict(Departement.objects.filter(code__in=list(found)).values_list("code", "name"))
    texts = [f"{names.get(dep, dep)} ({dep}) : {' ; '.join(why)}" for dep, why in sorted(found.items())]
    return texts, {dep: why for dep, why in sorted(found.items())}


def hold_reason(previous, run, diff, params) -> str:
    """Why a finished run must wait for an administrator (empty: publish at once). The first run
    is always published. The thresholds (and the départements held) are recorded in ``params``."""
    thresholds = gate_thresholds()
    params["publish_gate"] = dict(thresholds)
    if previous is None:
        return ""
    reasons = []
    before = (previous.parameters or {}).get("supply", {}).get("dataset_id")
    after = params.get("supply", {}).get("dataset_id")
    if after and before and after != before:
        covered_before, covered_after = _supply_departements(before), _supply_departements(after)
        if covered_after < covered_before:
            reasons.append(
                f"le fichier de l’offre ne couvre que {covered_after} département(s) contre "
                f"{covered_before} pour le calcul publié (fichier partiel ?)"
            )
    codes = set(Classification.objects.filter(run=run, level="commune").values_list("zone_code", flat=True))
    communes = len(codes)
    share = diff["count"] / communes if communes else 0
    if share > thresholds["share"]:
        reasons.append(
            f"{diff['count']} communes changent de classe ({share:.1%} des communes, seuil "
            f"{thresholds['share']:.0%})".replace(".", ",")
        )
    texts, held = _departement_reasons(previous, run, params, thresholds, diff, codes)
    if texts:
        params["publish_gate"]["departements_retenus"] = held
        reasons.append("par département : " + " ; ".join(texts))
    return " ; ".join(reasons)


def publish_run(run, *, user=None) -> ComputationRun:
    """Make a successful run current (a held run after review, or an older run again: « republier
    le calcul précédent »). Its values must still be there (not pruned)."""
    with computation_lock(), transaction.atomic():
        run = ComputationRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ComputationRun.Status.SUCCEEDED or run.summary.get("pruned"):
            raise ValueError("seul un calcul réussi dont les valeurs sont conservées peut être publié")
        current = ComputationRun.objects.select_for_update().filter(is_current=True).first()
        if current is not None and current.pk != run.pk:
            ComputationRun.objects.filter(pk=current.pk).update(is_current=False)
            run.diff = compute_diff(current, run)
            run.previous = current
        run.is_current = True
        if run.review in ("held", "discarded"):
            run.review = "published"
        run.step = (
            f"publié{' par ' + user.get_username() if user else ''} le {timezone.localtime():%d/%m/%Y %H:%M}"
        )
        run.save()
    forget_other_runs(run.pk)
    return run


def discard_run(run) -> None:
    ComputationRun.objects.filter(pk=run.pk, review="held").update(
        review="discarded", step="écarté, non publié"
    )


def prune_old_runs(keep=None) -> int:
    """Delete the per-commune and per-zone values of old runs beyond the ``keep`` most recent
    successful ones (the current and held runs are always kept); their summary and diff stay."""
    from django.conf import settings

    keep = settings.RUN_VALUES_KEPT if keep is None else keep
    successful = ComputationRun.objects.filter(status=ComputationRun.Status.SUCCEEDED).order_by("-pk")
    kept = set(successful.values_list("pk", flat=True)[:keep])
    current_or_held = Q(is_current=True) | Q(review="held")
    kept |= set(ComputationRun.objects.filter(current_or_held).values_list("pk", flat=True))
    # the runs still holding values, read without their parameters and diff (the summaries of
    # every pruned run were read and parsed at each run before)
    old = list(successful.exclude(pk__in=kept).exclude(summary__has_key="pruned").only("pk", "summary"))
    for run in old:
        with transaction.atomic():
            partitions.drop_run_rows([run.pk])  # its partitions dropped (PostgreSQL), not 228,000 DELETEs
            run.summary = {**run.summary, "pruned": True}
            run.save(update_fields=["summary"])
    with transaction.atomic():
        partitions.drop_orphan_partitions()
    return len(old)
