"""Assurance API under /api/v1/assurance/: emergency plans (review), drills (record, a finding →
problem), backup jobs and their runs, restore tests, and the token endpoint backup scripts report
to. Reads go through the selectors (customers: their own organisation's records, read-only; any
other id is 404); writes through the services (staff of the responsible group, or managers)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, ParseError, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from opsdesk.api_errors import parse_id

from ..choices import RunSource
from ..filtersets import BackupJobFilterSet, DrillFilterSet, PlanFilterSet, RestoreTestFilterSet
from ..models import BackupJob, Drill, EmergencyPlan, RestoreTest
from ..selectors import (
    drill_base,
    drill_get,
    events_of,
    job_base,
    job_get,
    job_runs,
    plan_base,
    plan_get,
    restore_get,
    with_flags,
)
from ..services import (
    backup_job_by_token,
    backup_job_create,
    backup_job_update,
    backup_run_record,
    can_edit,
    drill_record,
    drill_schedule,
    finding_problem_open,
    plan_create,
    plan_review_record,
    plan_update,
    restore_test_record,
    restore_test_schedule,
)
from .serializers import (
    DrillInputSerializer,
    DrillRecordSerializer,
    DrillSerializer,
    EventSerializer,
    JobCreatedSerializer,
    JobInputSerializer,
    JobSerializer,
    JobUpdateSerializer,
    PlanInputSerializer,
    PlanSerializer,
    PlanUpdateSerializer,
    ProblemInputSerializer,
    RestoreRecordSerializer,
    RestoreScheduleSerializer,
    RestoreTestSerializer,
    ReviewInputSerializer,
    RunInputSerializer,
    RunSerializer,
)


def _staff_write(request: Request) -> None:
    """Customers read; a write is not there for them (404)."""
    user: Any = request.user
    if not user.is_staff_member:
        raise Http404


def _may_edit(request: Request, group: Any) -> None:
    """Before the input is read: staff outside the responsible group (and not a manager) get 403."""
    _staff_write(request)
    if not can_edit(request.user, group):
        raise PermissionDenied


def _input(serializer_class: Any, request: Request, **context: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class _Base(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields: tuple[str, ...] = ("id",)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()

    def _pk(self) -> int:
        return parse_id(self.kwargs.get("pk"))


@extend_schema_view(
    list=extend_schema(description="Emergency plans (应急预案) the caller may see; `review_overdue=true`: past review."),
    retrieve=extend_schema(description="One plan with its steps, objective and next review."),
    create=extend_schema(request=PlanInputSerializer, responses={201: PlanSerializer}),
    partial_update=extend_schema(request=PlanUpdateSerializer, responses={200: PlanSerializer, 409: OpenApiTypes.OBJECT}),
    review=extend_schema(request=ReviewInputSerializer, responses={200: PlanSerializer, 409: OpenApiTypes.OBJECT},
                         description="Record a review; the next one is due on the SLA calendar."),
)
class PlanViewSet(_Base):
    queryset = EmergencyPlan.objects.none()
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet
    ordering = ("id",)
    ordering_fields = ("name", "updated_at", "id")

    def get_queryset(self) -> QuerySet[EmergencyPlan]:
        return plan_base(user=self.request.user).select_related("organization").prefetch_related("cis")

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(PlanSerializer(plan_get(user=request.user, pk=self._pk())).data)

    def create(self, request: Request) -> Response:
        _staff_write(request)
        data = _input(PlanInputSerializer, request)
        plan = plan_create(actor=request.user, now=self.now, **data)
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        plan = plan_get(user=request.user, pk=self._pk())
        _may_edit(request, plan.group)
        data = _input(PlanUpdateSerializer, request)
        version = data.pop("version", None)
        if not data:
            raise ParseError(_("Send at least one field to change."))
        plan = plan_update(plan_id=plan.pk, actor=request.user, version=version, changes=data, now=self.now)
        return Response(PlanSerializer(plan).data)

    @action(detail=True, methods=["post"], filter_backends=[])
    def review(self, request: Request, pk: str | None = None) -> Response:
        plan = plan_get(user=request.user, pk=self._pk())
        _may_edit(request, plan.group)
        data = _input(ReviewInputSerializer, request)
        plan = plan_review_record(plan_id=plan.pk, actor=request.user, now=self.now, **data)
        return Response(PlanSerializer(plan).data)


@extend_schema_view(
    list=extend_schema(description="Drills (演练); `overdue=true`: scheduled and not recorded in time."),
    retrieve=extend_schema(description="One drill with its steps done and findings."),
    create=extend_schema(request=DrillInputSerializer, responses={201: DrillSerializer},
                         description="Schedule a drill of a plan (shown on the change calendar)."),
    record=extend_schema(request=DrillRecordSerializer, responses={200: DrillSerializer, 409: OpenApiTypes.OBJECT},
                         description="Record the drill: participants, steps done, time to recover, findings."),
    problem=extend_schema(request=ProblemInputSerializer, responses={201: DrillSerializer},
                          parameters=[OpenApiParameter("finding_id", int, OpenApiParameter.PATH)],
                          description="Open a problem for one finding (once; linked both ways)."),
    events=extend_schema(responses=EventSerializer(many=True)),
)
class DrillViewSet(_Base):
    queryset = Drill.objects.none()
    serializer_class = DrillSerializer
    filterset_class = DrillFilterSet
    ordering = ("-scheduled_start", "-id")
    ordering_fields = ("scheduled_start", "record_due_at", "id")

    def get_queryset(self) -> QuerySet[Drill]:
        return drill_base(user=self.request.user).prefetch_related("findings__problem")

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(DrillSerializer(drill_get(user=request.user, pk=self._pk())).data)

    def create(self, request: Request) -> Response:
        _staff_write(request)
        data = _input(DrillInputSerializer, request)
        plan = plan_get(user=request.user, pk=data.pop("plan"))
        drill = drill_schedule(actor=request.user, plan=plan, now=self.now, **data)
        return Response(DrillSerializer(drill).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], filter_backends=[])
    def record(self, request: Request, pk: str | None = None) -> Response:
        drill = drill_get(user=request.user, pk=self._pk())
        _may_edit(request, drill.plan.group)
        data = _input(DrillRecordSerializer, request)
        drill = drill_record(drill_id=drill.pk, actor=request.user, now=self.now, version=data.pop("version", None),
                             **data)
        return Response(DrillSerializer(drill_get(user=request.user, pk=drill.pk)).data)

    @action(detail=True, methods=["post"], filter_backends=[], url_path=r"findings/(?P<finding_id>[^/.]+)/problem")
    def problem(self, request: Request, pk: str | None = None, finding_id: str | None = None) -> Response:
        drill = drill_get(user=request.user, pk=self._pk())
        _may_edit(request, drill.plan.group)
        finding = drill.findings.filter(pk=parse_id(finding_id)).first()
        if finding is None:
            raise Http404
        data = _input(ProblemInputSerializer, request)
        finding_problem_open(finding_id=finding.pk, actor=request.user, now=self.now, **data)
        return Response(DrillSerializer(drill_get(user=request.user, pk=drill.pk)).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request: Request, pk: str | None = None) -> Response:
        drill = drill_get(user=request.user, pk=self._pk())
        return Response(EventSerializer(events_of(user=request.user, subject="drill", obj=drill)[:200], many=True).data)


@extend_schema_view(
    list=extend_schema(description="Backup jobs per CI; `late=true`: no successful run within interval + grace; "
                                   "`restore_stale=true`: no passed restore test recently enough."),
    retrieve=extend_schema(description="One backup job with its flags."),
    create=extend_schema(request=JobInputSerializer, responses={201: JobCreatedSerializer},
                         description="Create a job; the response carries its reporting token (shown once)."),
    partial_update=extend_schema(request=JobUpdateSerializer, responses={200: JobSerializer, 409: OpenApiTypes.OBJECT}),
    runs=extend_schema(methods=["GET"], responses=RunSerializer(many=True), description="The job's runs, newest first."),
)
class BackupJobViewSet(_Base):
    queryset = BackupJob.objects.none()
    serializer_class = JobSerializer
    filterset_class = BackupJobFilterSet
    ordering = ("id",)

    def get_queryset(self) -> QuerySet[BackupJob]:
        return with_flags(job_base(user=self.request.user).select_related("ci", "incident"), now=self.now)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(JobSerializer(job_get(user=request.user, pk=self._pk(), now=self.now)).data)

    def create(self, request: Request) -> Response:
        _staff_write(request)
        data = _input(JobInputSerializer, request)
        job, token = backup_job_create(actor=request.user, now=self.now, **data)
        job = job_get(user=request.user, pk=job.pk, now=self.now)
        return Response(JobCreatedSerializer(job, context={"token": token}).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        job = job_get(user=request.user, pk=self._pk(), now=self.now)
        _may_edit(request, job.group)
        data = _input(JobUpdateSerializer, request)
        version = data.pop("version", None)
        if not data:
            raise ParseError(_("Send at least one field to change."))
        backup_job_update(job_id=job.pk, actor=request.user, version=version, changes=data, now=self.now)
        return Response(JobSerializer(job_get(user=request.user, pk=job.pk, now=self.now)).data)

    @extend_schema(methods=["POST"], request=RunInputSerializer, responses={201: RunSerializer},
                   description="Staff: enter a run by hand (a failed one opens or counts on the job's incident).")
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def runs(self, request: Request, pk: str | None = None) -> Response:
        job = job_get(user=request.user, pk=self._pk(), now=self.now)
        if request.method == "GET":
            page = self.paginate_queryset(job_runs(job=job))
            return self.get_paginated_response(RunSerializer(page, many=True).data)
        _may_edit(request, job.group)
        data = _input(RunInputSerializer, request)
        run = backup_run_record(job=job, actor=request.user, source=RunSource.MANUAL, now=self.now, **data)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)


class RunReportView(APIView):
    """POST /api/v1/assurance/backup-runs/report/ with `Authorization: Bearer <job token>`: the
    endpoint backup scripts and the shipped hook (integrations/backup/) report to."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(request=RunInputSerializer, responses={201: RunSerializer, 401: OpenApiTypes.OBJECT},
                   auth=[], description="A backup job reports one run with its own token (no user). "
                                        "`started_at` defaults to now.")
    def post(self, request: Request) -> Response:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, token = header.partition(" ")
        job = backup_job_by_token(token.strip()) if scheme.lower() == "bearer" else None
        if job is None:
            raise AuthenticationFailed(_("Unknown or inactive backup job token."))
        now = timezone.now()
        payload = request.data if isinstance(request.data, dict) else {}
        if "started_at" not in payload:
            payload = {**payload, "started_at": now.isoformat()}
        serializer = RunInputSerializer(data=payload)
        serializer.is_valid(raise_exception=True)
        source = RunSource.HOOK if request.query_params.get("via") == "hook" else RunSource.API
        run = backup_run_record(job=job, actor=None, source=source, now=now, **serializer.validated_data)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="backup-job"'

    def http_method_not_allowed(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A request without credentials is a 401 like on every API route; a client that sends
        # credentials (a job token or a user's token) learns that only POST is allowed here (405).
        if not request.META.get("HTTP_AUTHORIZATION", "").strip():
            raise AuthenticationFailed(_("Unknown or inactive backup job token."))
        return super().http_method_not_allowed(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(description="Restore tests, newest first."),
    retrieve=extend_schema(description="One restore test."),
    create=extend_schema(request=RestoreScheduleSerializer, responses={201: RestoreTestSerializer}),
    record=extend_schema(request=RestoreRecordSerializer, responses={200: RestoreTestSerializer},
                         description="Record the outcome: what was restored, how it was checked, time taken."),
)
class RestoreTestViewSet(_Base):
    queryset = RestoreTest.objects.none()
    serializer_class = RestoreTestSerializer
    filterset_class = RestoreTestFilterSet
    ordering = ("-scheduled_for", "-id")
    ordering_fields = ("scheduled_for", "id")

    def get_queryset(self) -> QuerySet[RestoreTest]:
        return RestoreTest.objects.visible_to(self.request.user)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(RestoreTestSerializer(restore_get(user=request.user, pk=self._pk())).data)

    def create(self, request: Request) -> Response:
        _staff_write(request)
        data = _input(RestoreScheduleSerializer, request)
        job = job_get(user=request.user, pk=data["job"], now=self.now)
        test = restore_test_schedule(actor=request.user, job=job, scheduled_for=data["scheduled_for"], now=self.now)
        return Response(RestoreTestSerializer(test).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], filter_backends=[])
    def record(self, request: Request, pk: str | None = None) -> Response:
        test = restore_get(user=request.user, pk=self._pk())
        _may_edit(request, test.job.group)
        data = _input(RestoreRecordSerializer, request)
        test = restore_test_record(test_id=test.pk, actor=request.user, now=self.now, **data)
        return Response(RestoreTestSerializer(test).data)
