"""Routes of the notifications API, mounted under /api/v1/ by opsdesk/api_urls.py:
    path("", include("notifications.api.urls")),
A SimpleRouter (no second API root view) so it sits beside the main DefaultRouter."""

from rest_framework.routers import SimpleRouter

from .views import ChannelViewSet, DeliveryViewSet, MyNotificationViewSet, RuleViewSet

router = SimpleRouter()
router.register("notifications/channels", ChannelViewSet, basename="notification-channel")
router.register("notifications/rules", RuleViewSet, basename="notification-rule")
router.register("notifications/deliveries", DeliveryViewSet, basename="notification-delivery")
router.register("me/notifications", MyNotificationViewSet, basename="my-notification")

urlpatterns = router.urls
