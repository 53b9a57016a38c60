"""The table of clusters kept per zoom (offers.ClusterCell); 0011 adds its triggers."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('offers', '0009_organisation_offers'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClusterCell',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('layer', models.CharField(help_text='offer or need', max_length=10)),
                ('zoom', models.PositiveSmallIntegerField()),
                ('cx', models.IntegerField(help_text="The cell's column: round(longitude / cell size).")),
                ('cy', models.IntegerField(help_text="The cell's row: round(latitude / cell size).")),
                ('kind', models.CharField(choices=[('MONEY', 'Money'), ('MATERIAL', 'Material'), ('VOLUNTEERING', 'Volunteering'), ('EXPERTISE', 'Expertise'), ('SERVICE', 'Service'), ('LOAN', 'Loan'), ('STORAGE', 'Storage'), ('CARPOOL', 'Carpool'), ('LODGING', 'Lodging'), ('MEAL', 'Meal')], max_length=20)),
                ('community_id', models.BigIntegerField(help_text="Members-only rows' community; empty: public.", null=True)),
                ('count', models.BigIntegerField()),
                ('sum_x', models.FloatField()),
                ('sum_y', models.FloatField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(models.F('layer'), models.F('zoom'), models.F('cx'), models.F('cy'), models.F('kind'), django.db.models.functions.comparison.Coalesce('community_id', 0), name='cluster_cell_key')],
            },
        ),
    ]
