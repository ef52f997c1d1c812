from django.urls import path

from .views import queue, requests

urlpatterns = [
    path("", requests.request_list, name="support_list"),
    path("new/<int:test_id>/", requests.request_new, name="support_new"),
    path("<int:pk>/", requests.request_detail, name="support_detail"),
    path("<int:pk>/add/", requests.request_follow_up, name="support_follow_up"),
    path("screenshots/<int:pk>/", requests.screenshot, name="support_screenshot"),
    path("queue/", queue.queue, name="support_queue"),
    path("queue/<int:pk>/", queue.queue_detail, name="support_queue_detail"),
    path("queue/<int:pk>/reply/", queue.queue_reply, name="support_queue_reply"),
    path("queue/<int:pk>/status/", queue.queue_status, name="support_queue_status"),
    path("queue/<int:pk>/assign/", queue.queue_assign, name="support_queue_assign"),
    path("queue/<int:pk>/notes/", queue.queue_note, name="support_queue_note"),
    path("queue/<int:pk>/rerun/", queue.queue_rerun, name="support_queue_rerun"),
    path("queue/<int:pk>/mailbox/", queue.queue_mailbox, name="support_queue_mailbox"),
]
