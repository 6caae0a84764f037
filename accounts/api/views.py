"""Account endpoints: token login, users (admins write), organisations, contacts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import Model, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from opsdesk.api_errors import parse_id
from opsdesk.lockout import lockout_response
from opsdesk.throttling import ScopedRateThrottle

from ..filtersets import ContactFilterSet, OrganizationFilterSet, UserFilterSet
from ..models import Contact, Organization, ServiceContract, User
from ..permissions import can_change_account, can_grant_role, can_manage_accounts
from ..selectors import contact_list, organization_list, user_list
from ..services import contact_create, organization_create, user_create, user_update
from .serializers import (
    ContactCreateSerializer,
    ContactSerializer,
    OrganizationCreateSerializer,
    OrganizationSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)


def visible_or_404[M: Model](queryset: QuerySet[M], raw_pk: Any) -> M:
    """One row of a selector's (already permission-scoped) queryset, or 404."""
    obj = queryset.filter(pk=parse_id(raw_pk)).first()
    if obj is None:
        raise NotFound
    return obj


def is_account_admin(user: Any) -> bool:
    return can_manage_accounts(user)


class AdminWritesOthersRead(BasePermission):
    """Everyone signed in may read (scoped by the selectors); superusers and managers write.
    Anonymous requests are 401 (API.md), not an empty list."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or is_account_admin(request.user)


class StaffWritesOthersRead(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user: Any = request.user
        if not user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or bool(user.is_staff_member)


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(request=TokenRequestSerializer, auth=[], responses={
        200: TokenResponseSerializer,
        429: OpenApiResponse(description=(
            "Throttled (`API_THROTTLE_TOKEN`), or the username is locked out after repeated failed logins "
            "(`AXES_FAILURE_LIMIT`); retry after the seconds in `Retry-After`.")),
    })
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # django-axes needs the HttpRequest itself to count failures by username and IP.
        user = authenticate(request=request._request, username=serializer.validated_data["username"],
                            password=serializer.validated_data["password"])
        if getattr(request._request, "axes_locked_out", False):  # axes' middleware answers with the same
            return lockout_response(request._request)
        if user is None or not user.is_active:
            return Response({"detail": _("Unable to log in with this username and password.")},
                            status=status.HTTP_400_BAD_REQUEST)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


@extend_schema_view(
    create=extend_schema(request=UserCreateSerializer, responses={201: UserSerializer}),
    partial_update=extend_schema(request=UserUpdateSerializer, responses=UserSerializer),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Accounts. Customers see their own organisation's users only; superusers and managers write."""

    queryset = User.objects.none()
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    permission_classes = [AdminWritesOthersRead]
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering = ("username",)
    ordering_fields = ("username", "id")

    def get_queryset(self) -> QuerySet[User]:
        return user_list(user=self.request.user)

    def get_object(self) -> User:
        return visible_or_404(self.get_queryset(), self.kwargs["pk"])

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = UserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not can_grant_role(request.user, serializer.validated_data["role"]):
            raise PermissionDenied(_("You cannot give an account a role at or above your own."))
        user = user_create(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = self.get_object()
        if not can_change_account(request.user, target):
            raise PermissionDenied(_("You cannot change an account at or above your own level."))
        serializer = UserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        role = serializer.validated_data.get("role")
        if role is not None and not can_grant_role(request.user, role):
            raise PermissionDenied(_("You cannot give an account a role at or above your own."))
        user = user_update(user=target, data=dict(serializer.validated_data))
        return Response(UserSerializer(user).data)

    @extend_schema(responses=UserSerializer)
    @action(detail=False, methods=["get"], permission_classes=[AdminWritesOthersRead], filter_backends=[],
            pagination_class=None)
    def me(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)


@extend_schema_view(create=extend_schema(request=OrganizationCreateSerializer, responses={201: OrganizationSerializer}))
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Customer organisations (tenants). Customers see their own only."""

    queryset = Organization.objects.none()
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet
    permission_classes = [AdminWritesOthersRead]
    http_method_names = ["get", "post", "head", "options"]
    ordering = ("name",)
    ordering_fields = ("name", "code", "id")

    def get_queryset(self) -> QuerySet[Organization]:
        # Today's contract period per organisation in one query for the whole page (no N+1).
        today = timezone.localdate()
        current = ServiceContract.objects.filter(starts_on__lte=today, ends_on__gte=today).order_by("-starts_on", "-id")
        return organization_list(user=self.request.user).prefetch_related(
            Prefetch("service_contracts", queryset=current, to_attr="current_contracts"))

    def get_object(self) -> Organization:
        return visible_or_404(self.get_queryset(), self.kwargs["pk"])

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = OrganizationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        org = organization_create(**serializer.validated_data)
        return Response(OrganizationSerializer(org).data, status=status.HTTP_201_CREATED)


@extend_schema_view(create=extend_schema(request=ContactCreateSerializer, responses={201: ContactSerializer}))
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Callers at customer organisations; `?phone=` finds a caller by exact (normalised) number."""

    queryset = Contact.objects.none()
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    permission_classes = [StaffWritesOthersRead]
    http_method_names = ["get", "post", "head", "options"]
    ordering = ("name",)
    ordering_fields = ("name", "id")

    def get_queryset(self) -> QuerySet[Contact]:
        return contact_list(user=self.request.user).select_related(None)

    def get_object(self) -> Contact:
        return visible_or_404(self.get_queryset(), self.kwargs["pk"])

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ContactCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = contact_create(**serializer.validated_data)
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)
