"""The Alembic migrations build exactly the schema the models describe."""

from alembic.command import check


def test_migrations_match_models(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(
            app.extensions["migrate"].directory
        )
        check(config)
