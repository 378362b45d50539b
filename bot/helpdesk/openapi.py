"""The helpdesk API described in OpenAPI 3.0 (served at ``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from bot.helpdesk.models import STATUSES
from bot.records.fields import ANSWERED_BY_WORDS, FIELDS, FieldKind
from bot.records.repository import OUTCOMES

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
    "additionalProperties": False,
}
_WHEN = {"type": "string", "format": "date-time", "nullable": True}
_TEXT = {"type": "string", "nullable": True}
_REQUEST = {
    "type": "object",
    "required": ["reference", "status", "urgent", "content", "created_at"],
    "properties": {
        "reference": {"type": "string", "example": "ISD-000123"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "urgent": {"type": "boolean", "description": "the conversation showed safeguarding signs"},
        "unsure_question": _TEXT,
        "content": {
            "type": "object",
            "description": "the half-built decision, de-identified",
            "properties": {
                "context": {"type": "array", "items": {"type": "object"}},
                "answers": {"type": "array", "items": {"type": "object"}},
                "unsure": {"type": "object", "nullable": True},
                "question": _TEXT,
                "how_answered": {
                    "type": "object",
                    "nullable": True,
                    "description": "how each answer so far was given, by step key",
                    "additionalProperties": {"type": "string"},
                },
            },
        },
        "channel": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "claimed_by": _TEXT,
        "claimed_at": _WHEN,
        "answered_by": _TEXT,
        "answered_at": _WHEN,
        "advice": _TEXT,
        "suggested_answer": _TEXT,
        "citation": _TEXT,
        "closed_at": _WHEN,
        "delivered_at": _WHEN,
    },
}
_ANSWER = {
    "type": "object",
    "required": ["advice"],
    "additionalProperties": False,
    "properties": {
        "advice": {
            "type": "string",
            "minLength": 1,
            "maxLength": 4000,
            "description": "the advice in free text; markup, control and private-use characters "
            "are taken out, and what is left must not be empty",
        },
        "suggested_answer": {
            "type": "string",
            "nullable": True,
            "description": "one of the unsure question's answers (content.unsure.answers)",
        },
        "citation": {
            "type": "string",
            "nullable": True,
            "maxLength": 64,
            "example": "3.17-3.37",
            "description": "the guidance paragraph(s) the advice rests on",
        },
    },
}


def record_schema() -> dict[str, Any]:
    """A decision record (the export format: docs/design.md §5), from the declared fields
    (bot/records/fields.py)."""
    kinds: dict[FieldKind, dict[str, Any]] = {
        FieldKind.IDENTIFIER: {"type": "string"},
        FieldKind.WHEN: {"type": "string", "format": "date-time"},
        FieldKind.OUTCOME: {"type": "string", "enum": list(OUTCOMES)},
        FieldKind.KEYS: {"type": "array", "items": {"type": "string"}},
        FieldKind.ANSWERS: {"type": "object", "additionalProperties": {"type": "string"}},
        FieldKind.CHECKS: {"type": "object", "nullable": True},
        FieldKind.NOTES: {
            "type": "object",
            "nullable": True,
            "additionalProperties": {"type": "string"},
        },
        FieldKind.TEXT: {"type": "string", "nullable": True},
        FieldKind.KEY: {"type": "string", "nullable": True},
        FieldKind.FLAG: {"type": "boolean"},
        FieldKind.RULES: {"type": "array", "items": {"type": "integer"}},
        FieldKind.ADVICE: {"type": "object", "nullable": True},
        FieldKind.ANSWERED_BY: {
            "type": "object",
            "nullable": True,
            "additionalProperties": {"type": "string", "enum": list(ANSWERED_BY_WORDS)},
        },
    }
    properties = {}
    for field in FIELDS:
        schema = dict(kinds[field.kind], description=field.label)
        if field.kind is FieldKind.IDENTIFIER and not field.required and field.stored:
            schema["nullable"] = field.nullable
        properties[field.name] = schema
    return {
        "type": "object",
        "required": [field.name for field in FIELDS],
        "properties": properties,
        "additionalProperties": False,
    }


_RECORD_QUERY = [
    (
        "outcome",
        {"type": "string", "enum": ["share", "do_not_share", "seek_advice", "seek_consent"]},
    ),
    ("from", {"type": "string", "format": "date", "description": "completed on or after"}),
    ("to", {"type": "string", "format": "date", "description": "completed on or before"}),
    ("safeguarding", {"type": "boolean"}),
    ("protocol", {"type": "string", "minLength": 1, "maxLength": 64, "example": "hmg-2008"}),
    ("channel", {"type": "string", "minLength": 1, "maxLength": 64, "example": "socketio"}),
    ("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}),
    ("offset", {"type": "integer", "minimum": 0, "maximum": 1000000000, "default": 0}),
    ("format", {"type": "string", "enum": ["json", "csv"], "description": "or Accept: text/csv"}),
]


def _csv_too(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "content": {
                "application/json": {"schema": schema},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    }


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        401: "no valid bearer token",
        403: "the token's role may not do this",
        404: "no request or record with that reference",
        409: "the request is not in a state that allows this",
        422: "a bad query or body",
        503: "the records database cannot be reached",
    }
    return {
        str(code): {
            "description": text[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "200": {"description": description, "content": {"application/json": {"schema": schema}}}
    }


_REFERENCE = {
    "name": "reference",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 32},
}


def spec() -> dict[str, Any]:
    request_ref = {"$ref": "#/components/schemas/AdviceRequest"}
    record_ref = {"$ref": "#/components/schemas/Record"}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Can I share? — helpdesk API",
            "version": "1",
            "description": "Advice requests from practitioners who were not sure, de-identified; "
            "the decision records. Every call is written to the audit log.",
        },
        "servers": [{"url": "/api"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": _ERROR,
                "AdviceRequest": _REQUEST,
                "Answer": _ANSWER,
                "Record": record_schema(),
            },
        },
        "paths": {
            "/openapi.json": {
                "get": {
                    "summary": "this description",
                    "security": [],
                    "responses": _ok({"type": "object"}, "the OpenAPI document"),
                }
            },
            "/advice": {
                "get": {
                    "summary": "advice requests, urgent first, then oldest",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(STATUSES)},
                            "description": "default: open and claimed",
                        }
                    ],
                    "responses": {
                        **_ok(
                            {
                                "type": "object",
                                "required": ["requests", "count"],
                                "properties": {
                                    "requests": {"type": "array", "items": request_ref},
                                    "count": {"type": "integer"},
                                },
                            },
                            "the requests",
                        ),
                        **_errors(401, 422, 503),
                    },
                }
            },
            "/advice/{reference}": {
                "get": {
                    "summary": "one advice request",
                    "parameters": [_REFERENCE],
                    "responses": {**_ok(request_ref, "the request"), **_errors(401, 404, 503)},
                }
            },
            "/advice/{reference}/claim": {
                "post": {
                    "summary": "claim a request (role adviser)",
                    "parameters": [_REFERENCE],
                    "responses": {
                        **_ok(request_ref, "the claimed request"),
                        **_errors(401, 403, 404, 409, 503),
                    },
                }
            },
            "/advice/{reference}/answer": {
                "post": {
                    "summary": "answer a request (role adviser)",
                    "parameters": [_REFERENCE],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}
                        },
                    },
                    "responses": {
                        **_ok(request_ref, "the answered request"),
                        **_errors(401, 403, 404, 409, 422, 503),
                    },
                }
            },
            "/records": {
                "get": {
                    "summary": "decision records, newest first, a page at a time",
                    "parameters": [
                        {"name": name, "in": "query", "required": False, "schema": schema}
                        for name, schema in _RECORD_QUERY
                    ],
                    "responses": {
                        **_csv_too(
                            {
                                "type": "object",
                                "required": ["records", "total", "limit", "offset", "next_offset"],
                                "additionalProperties": False,
                                "properties": {
                                    "records": {"type": "array", "items": record_ref},
                                    "total": {"type": "integer", "minimum": 0},
                                    "limit": {"type": "integer"},
                                    "offset": {"type": "integer"},
                                    "next_offset": {"type": "integer", "nullable": True},
                                },
                            },
                            "a page of records and how many match in all",
                        ),
                        **_errors(401, 422, 503),
                    },
                }
            },
            "/records/{reference}": {
                "get": {
                    "summary": "one decision record",
                    "parameters": [
                        _REFERENCE,
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["json", "csv"]},
                        },
                    ],
                    "responses": {
                        **_csv_too(record_ref, "the record"),
                        **_errors(401, 404, 422, 503),
                    },
                }
            },
        },
    }
