"""The OpenAPI links name operations that exist, with the parameters those operations take."""

from __future__ import annotations

from api.config import ApiSettings
from api.web.main import create_app
from api.web.openapi import LINKS


def test_every_link_points_at_a_real_operation_and_its_parameters(tmp_path) -> None:
    schema = create_app(ApiSettings(database_url=f"sqlite:///{tmp_path / 'db'}")).openapi()
    paths = schema["paths"]
    seen = 0
    for (path, method, status), links in LINKS.items():
        response = paths[path][method]["responses"][status]
        assert set(response["links"]) == set(links), (path, method)
        for name, link in response["links"].items():
            pointer = link["operationRef"].removeprefix("#/paths/")
            target_path, _, target_method = pointer.rpartition("/")
            target = paths[target_path.replace("~1", "/").replace("~0", "~")][target_method]
            taken = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
            assert set(link["parameters"]) == taken, (name, taken)
            seen += 1
    assert seen >= 15
