# FraudAlert moves to the fraud app (see fraud/0001_initial): only Django's state forgets
# it here; the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("methods", "0003_customsecurityquestion"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="FraudAlert")],
            database_operations=[],
        ),
    ]
