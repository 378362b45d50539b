"""The helpdesk API described in OpenAPI 3.0 (served at ``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from bot.helpdesk.models import STATUSES

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
        "advice": {"type": "string", "minLength": 1, "maxLength": 4000},
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


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        401: "no valid bearer token",
        403: "the token's role may not do this",
        404: "no request with that reference",
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
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Can I share? — helpdesk API",
            "version": "1",
            "description": "Advice requests from practitioners who were not sure, de-identified.",
        },
        "servers": [{"url": "/api"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR, "AdviceRequest": _REQUEST, "Answer": _ANSWER},
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
        },
    }
