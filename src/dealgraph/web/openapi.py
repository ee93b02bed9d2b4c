"""The OpenAPI 3.1 document of the saved queries, generated from their ``.rq`` files.

Each query is one path, ``/queries/<name>``; each of its parameters a query
parameter whose schema accepts exactly what :mod:`dealgraph.saved_queries`
validates (patterns for dates and numbers, ``enum`` for declared values, arrays
for parameters that take several values). Responses: SPARQL JSON results (and the
other result formats), 304 for a matching ``If-None-Match``, and the endpoint's
one error shape for 400, 404, 406 and 503.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ..saved_queries import MAX_VALUE_LENGTH, Parameter, SavedQuery

#: The schema of each parameter type: what a valid value looks like in a URL.
TYPE_SCHEMAS: dict[str, dict] = {
    "iri": {"type": "string", "minLength": 1},
    "organization": {"type": "string", "minLength": 1},
    "string": {"type": "string"},
    "langString": {"type": "string", "pattern": "^[^@]*@[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
    "integer": {"type": "integer"},
    "decimal": {"type": "string", "pattern": "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$"},
    "money": {
        "type": "string",
        "pattern": "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+) ?[A-Za-z]{3}$",
    },
    "date": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "gYearMonth": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
    "gYear": {"type": "string", "pattern": "^[0-9]{4}$"},
    "enum": {"type": "string"},
}

_TERM = {
    "type": "object",
    "required": ["type", "value"],
    "properties": {
        "type": {"enum": ["uri", "literal", "bnode", "triple"]},
        "value": {},
        "xml:lang": {"type": "string"},
        "datatype": {"type": "string"},
    },
}

COMPONENTS = {
    "schemas": {
        "SparqlResults": {
            "description": "SPARQL 1.1 Query Results JSON Format (application/sparql-results+json).",
            "type": "object",
            "required": ["head", "results"],
            "properties": {
                "head": {
                    "type": "object",
                    "required": ["vars"],
                    "properties": {"vars": {"type": "array", "items": {"type": "string"}}},
                },
                "results": {
                    "type": "object",
                    "required": ["bindings"],
                    "properties": {
                        "bindings": {"type": "array", "items": {"type": "object", "additionalProperties": _TERM}}
                    },
                },
            },
        },
        "Problem": {
            "description": "The endpoint's one error shape. A bad parameter value adds parameter, value and expected "
            "(and candidates, for an ambiguous organization name).",
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "title", "detail"],
                    "properties": {
                        "status": {"type": "integer"},
                        "title": {"type": "string"},
                        "detail": {"type": "string"},
                        "parameter": {"type": "string"},
                        "value": {"type": ["string", "null"]},
                        "expected": {"type": "string"},
                        "candidates": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"iri": {"type": "string"}, "label": {"type": "string"}},
                            },
                        },
                    },
                }
            },
        },
        "QueryList": {
            "type": "object",
            "required": ["queries"],
            "properties": {
                "queries": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "title", "description", "parameters"],
                        "properties": {
                            "name": {"type": "string"},
                            "title": {"type": "string"},
                            "description": {"type": "string"},
                            "tags": {"type": "array", "items": {"type": "string"}},
                            "url": {"type": "string"},
                            "parameters": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["name", "type", "required", "default", "example", "values"],
                                    "properties": {
                                        "name": {"type": "string"},
                                        "type": {"enum": list(TYPE_SCHEMAS)},
                                        "required": {"type": "boolean"},
                                        "default": {"type": ["string", "null"]},
                                        "example": {"type": ["string", "null"]},
                                        "values": {"type": "array", "items": {"type": "string"}},
                                        "multiple": {"type": "boolean"},
                                        "description": {"type": "string"},
                                    },
                                },
                            },
                        },
                    },
                }
            },
        },
    },
    "responses": {
        name: {
            "description": description,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}},
                "text/html": {"schema": {"type": "string"}},
            },
        }
        for name, description in (
            ("BadRequest", "A parameter value that does not fit its type, or a bad page or format."),
            ("NotFound", "No saved query by that name."),
            ("NotAcceptable", "None of the result formats is acceptable to the client."),
            ("Unavailable", "The query ran past the deadline, or every query worker stayed busy."),
        )
    },
}

_CONTROL_PARAMETERS = [
    {
        "name": "format",
        "in": "query",
        "description": "The result format; overrides the Accept header.",
        "schema": {"enum": ["json", "xml", "csv", "tsv", "html"]},
    },
    {
        "name": "page",
        "in": "query",
        "description": "The page of results, from 1.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    },
    {
        "name": "per_page",
        "in": "query",
        "description": "Rows per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
    },
]


def parameter_schema(parameter: Parameter) -> dict:
    """The JSON Schema of one value of *parameter* (an array when it takes several)."""
    schema = dict(TYPE_SCHEMAS[parameter.type])
    if parameter.type == "enum":
        schema["enum"] = list(parameter.values)
    elif schema.get("type") == "string":
        schema["maxLength"] = MAX_VALUE_LENGTH
    if parameter.default is not None and not parameter.multiple:
        schema["default"] = int(parameter.default) if parameter.type == "integer" else parameter.default
    if parameter.multiple:
        return {"type": "array", "items": schema}
    return schema


def _parameter(parameter: Parameter) -> dict:
    described = {
        "name": parameter.name,
        "in": "query",
        "description": f"{parameter.description} ({parameter.type}: {parameter.expected})".strip(),
        "required": parameter.required and parameter.default is None,
        "schema": parameter_schema(parameter),
    }
    if parameter.example is not None:
        example = int(parameter.example) if parameter.type == "integer" else parameter.example
        described["example"] = [example] if parameter.multiple else example
    if parameter.multiple:
        described.update(style="form", explode=True)
    return described


def _operation(query: SavedQuery) -> dict:
    text = {"schema": {"type": "string"}}
    return {
        "operationId": "query_" + query.name.replace("-", "_"),
        "summary": query.title,
        "description": query.description,
        "tags": list(query.tags) or ["queries"],
        "parameters": [_parameter(p) for p in query.parameters] + _CONTROL_PARAMETERS,
        "responses": {
            "200": {
                "description": "One page of the query's rows, in a stable order.",
                "headers": {
                    "ETag": {"schema": {"type": "string"}},
                    "Link": {"description": "first, prev and next pages (RFC 8288)", "schema": {"type": "string"}},
                },
                "content": {
                    "application/sparql-results+json": {"schema": {"$ref": "#/components/schemas/SparqlResults"}},
                    "application/sparql-results+xml": text,
                    "text/csv": text,
                    "text/tab-separated-values": text,
                    "text/html": text,
                },
            },
            "304": {"description": "Not modified: the If-None-Match ETag still holds."},
            "400": {"$ref": "#/components/responses/BadRequest"},
            "404": {"$ref": "#/components/responses/NotFound"},
            "406": {"$ref": "#/components/responses/NotAcceptable"},
            "503": {"$ref": "#/components/responses/Unavailable"},
        },
    }


def _package_version() -> str:
    try:
        return version("dealgraph")
    except PackageNotFoundError:
        return "0"


def openapi_document(queries: list[SavedQuery], server_url: str = "/") -> dict:
    """The OpenAPI 3.1 document for *queries*, served from *server_url*."""
    paths = {
        "/queries": {
            "get": {
                "operationId": "list_queries",
                "summary": "The saved queries and their parameters",
                "tags": ["queries"],
                "responses": {
                    "200": {
                        "description": "Every saved query.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueryList"}}},
                    }
                },
            }
        }
    }
    for query in queries:
        paths[f"/queries/{query.name}"] = {"get": _operation(query)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "dealgraph saved queries",
            "version": _package_version(),
            "description": "Typed, documented questions over the dealgraph knowledge graph. Every parameter value is "
            "validated against its type and bound as an RDF term, never pasted into the query.",
        },
        "servers": [{"url": server_url or "/"}],
        "paths": paths,
        "components": COMPONENTS,
    }
