from django.urls import path

from tellsafe.cases import views, views_config, views_desk

app_name = "desk"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("claim-next/", views.claim_next, name="claim_next"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/claim/", views.case_claim, name="case_claim"),
    path("cases/<int:case_id>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:case_id>/status/", views.case_status, name="case_status"),
    path("cases/<int:case_id>/note/", views.case_note, name="case_note"),
    path("cases/<int:case_id>/message/", views.case_message, name="case_message"),
    path("cases/<int:case_id>/approval/", views.case_approval, name="case_approval"),
    path("cases/<int:case_id>/merge/", views.case_merge, name="case_merge"),
    path("cases/<int:case_id>/move-report/", views.report_move, name="report_move"),
    path("phone-report/", views_desk.phone_report, name="phone_report"),
    path("contacts/new/", views_desk.contact_new, name="contact_new"),
    path("approvals/", views_desk.approvals, name="approvals"),
    path("approvals/<int:approval_id>/", views_desk.approval_decide, name="approval_decide"),
    path("attention/", views_desk.attention, name="attention"),
    path("audit/", views_desk.audit_log, name="audit"),
    path("audit/export.csv", views_desk.audit_export, name="audit_export"),
    path("settings/urgency/", views_config.urgency_rules, name="urgency_rules"),
    path("settings/urgency/new/", views_config.urgency_rule_edit, name="urgency_rule_new"),
    path("settings/urgency/<int:rule_id>/", views_config.urgency_rule_edit, name="urgency_rule"),
    path("settings/chat-flow/", views_config.chat_flow, name="chat_flow"),
]
