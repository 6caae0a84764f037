"""Shapes of the notifications API. Secrets are write-only: output carries a masked webhook URL
and `*_set` flags, never the values."""

from __future__ import annotations

from accounts.models import Organization
from opsdesk import serializers

from ..choices import FAULT_LEVELS
from ..models import Delivery, DeliveryAttempt, Notification, NotificationChannel, NotificationRule
from ..redaction import mask_url

CHANNEL_WRITE_FIELDS = ("kind", "name", "is_active", "webhook_url", "secret", "access_key_id", "access_key_secret",
                        "sign_name", "template_code", "endpoint", "rate_limit_per_minute", "max_attempts")


class ChannelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    webhook_url_masked = serializers.SerializerMethodField()
    secret_set = serializers.SerializerMethodField()
    access_key_secret_set = serializers.SerializerMethodField()

    class Meta:
        model = NotificationChannel
        fields = ("id", *CHANNEL_WRITE_FIELDS, "webhook_url_masked", "secret_set", "access_key_secret_set",
                  "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")
        extra_kwargs = {
            "webhook_url": {"write_only": True, "required": False},
            "secret": {"write_only": True, "required": False},
            "access_key_secret": {"write_only": True, "required": False},
        }

    def get_webhook_url_masked(self, obj: NotificationChannel) -> str:
        return mask_url(obj.webhook_url)

    def get_secret_set(self, obj: NotificationChannel) -> bool:
        return bool(obj.secret)

    def get_access_key_secret_set(self, obj: NotificationChannel) -> bool:
        return bool(obj.access_key_secret)


class RuleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    fault_levels = serializers.ListField(child=serializers.ChoiceField(choices=FAULT_LEVELS), required=False)
    recipients = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), allow_null=True,
                                                      required=False)
    channels = serializers.PrimaryKeyRelatedField(queryset=NotificationChannel.objects.all(), many=True,
                                                  required=False)

    class Meta:
        model = NotificationRule
        fields = ("id", "name", "event", "fault_levels", "organization", "channels", "recipients", "is_active",
                  "created_at")
        read_only_fields = ("id", "created_at")


class AttemptSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = DeliveryAttempt
        fields = ("id", "at", "finished_at", "ok", "http_status", "request_url", "response_excerpt", "error")


class DeliverySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    channel_kind = serializers.CharField(source="channel.kind", read_only=True)
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ("id", "channel", "channel_name", "channel_kind", "rule", "event", "dedup_key", "recipient_key",
                  "recipient", "address", "user", "payload", "status", "attempts", "last_error", "next_attempt_at",
                  "merged_into", "created_at", "sent_at", "attempt_log")
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ("id", "event", "title", "body", "link", "created_at", "read_at", "unread")
        read_only_fields = fields

    def get_unread(self, obj: Notification) -> bool:
        return obj.read_at is None
