"""The JSON API's blueprints."""
