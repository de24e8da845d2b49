"""Pages of the files uploaded by administrators: the list with the upload form, a file's detail and
its state (JSON).
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from indicators.perms import can_upload_dataset
from indicators.views.runs import in_request


def _require_upload_permission(request):
    if not can_upload_dataset(request.user):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        raise PermissionDenied(
            "Les imports de données sont réservés aux administrateurs qui ont la permission "
            "« importer des jeux de données » : demandez-la à l’administrateur du portail."
        )
    return None


@require_http_methods(["GET", "POST"])
def upload_list(request):
    """Upload a data file: saved under MEDIA_ROOT/imports/<uuid>/, imported by a Celery task."""
    from indicators.forms import DatasetUploadForm
    from indicators.importers.uploads import absolute_path, start_in_background, store_upload
    from indicators.models import DatasetUpload
    from indicators.tasks import import_uploaded_file

    denied = _require_upload_permission(request)
    if denied:
        return denied
    form = DatasetUploadForm(request.POST, request.FILES) if request.method == "POST" else DatasetUploadForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        options = {
            "millesime": data["millesime"],
            "skip_other_categories": data["skip_other_categories"],
            "partial": data["partial"],
            "ignore_unknown": data["ignore_unknown"],
        }
        upload = store_upload(
            data["file"],
            kind=data["kind"],
            dry_run=data["dry_run"],
            synthetic=data["synthetic"],
            user=request.user,
            options=options,
        )
        task_kwargs = {
            "kind": upload.kind,
            "path": str(absolute_path(upload.path)),  # the worker may have another cwd
            "dry_run": upload.dry_run,
            "synthetic": upload.synthetic,
            "user_id": request.user.pk,
            "upload_id": upload.pk,
            "options": options,
        }
        if in_request() and settings.UPLOADS_IN_BACKGROUND:
            start_in_background(task_kwargs)
            messages.success(request, "Fichier déposé : l’import est en cours, cette page suit son état.")
            return redirect(upload)
        try:
            result = import_uploaded_file.apply_async(kwargs=task_kwargs, retry=False)
        except Exception as exc:  # broker unreachable: say so, keep the file for a retry
            DatasetUpload.objects.filter(pk=upload.pk).update(
                status=DatasetUpload.Status.FAILED,
                message=f"File d’attente indisponible : tâche non envoyée ({type(exc).__name__}) : {exc}",
            )
        else:
            DatasetUpload.objects.filter(pk=upload.pk).update(task_id=result.id or "")
        upload.refresh_from_db()
        if upload.is_active:
            messages.success(request, "Fichier déposé : l’import est confié au worker Celery.")
        elif upload.status == DatasetUpload.Status.FAILED:
            messages.error(request, "Import refusé : le détail des problèmes figure ci-dessous.")
        else:
            messages.success(request, f"Import terminé : {upload.get_status_display()}.")
        return redirect(upload)
    uploads = DatasetUpload.objects.select_related("dataset", "uploaded_by")[:30]
    from territories.models import Dataset

    return render(
        request,
        "indicators/upload_list.html",
        {
            "form": form,
            "uploads": uploads,
            "datasets": Dataset.objects.all()[:20],
            "in_request": in_request(),
        },
    )


@require_GET
def upload_detail(request, pk):
    from indicators.models import DatasetUpload

    denied = _require_upload_permission(request)
    if denied:
        return denied
    upload = get_object_or_404(DatasetUpload.objects.select_related("dataset", "uploaded_by"), pk=pk)
    return render(request, "indicators/upload_detail.html", {"upload": upload})


@require_GET
def upload_status(request, pk):
    """The state of an import, polled by its page until it ends (then the page reloads)."""
    from django.utils import timezone

    from indicators.models import DatasetUpload

    if not can_upload_dataset(request.user):
        return JsonResponse({"error": "réservé aux administrateurs qui importent"}, status=403)
    upload = get_object_or_404(DatasetUpload, pk=pk)
    elapsed = int((timezone.now() - upload.created_at).total_seconds())
    return JsonResponse(
        {
            "status": upload.status,
            "status_label": upload.get_status_display(),
            "step": f"depuis {elapsed} s" if upload.is_active else "",
            "done": not upload.is_active,
        }
    )
