# FraudAlert moved here from the methods app. Its table stays where it is (db_table
# "methods_fraudalert"): this only tells Django's state the model now lives here, and
# moves the admin's content type (and so the permissions given on it) along.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="fraud", model="fraudalert").exists():
        ContentType.objects.filter(app_label="methods", model="fraudalert").update(
            app_label="fraud"
        )


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="methods", model="fraudalert").exists():
        ContentType.objects.filter(app_label="fraud", model="fraudalert").update(
            app_label="methods"
        )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("methods", "0004_fraudalert_moves_to_fraud"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="FraudAlert",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("source", models.CharField(max_length=32, verbose_name="reported through")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="reported")),
                        ("resolved_at", models.DateTimeField(blank=True, null=True, verbose_name="resolved")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="fraud_alerts", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "fraud alert",
                        "verbose_name_plural": "fraud alerts",
                        "db_table": "methods_fraudalert",
                        "ordering": ["-created_at"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
