"""The OpenAPI document, assembled from what each API module declared."""
from __future__ import annotations

from flask import jsonify

from silabu.api import SPEC_PATHS, SPEC_SCHEMAS, api_bp


@api_bp.route("/openapi.json")
def openapi():
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "SILABU API", "version": "1.0.0",
                 "description": "API JSON SILABU (Sistem Laporan Bulanan). Autentikasi: token Bearer dari "
                                "POST /api/v1/auth/token, atau sesi peramban dengan header X-CSRFToken. Setiap "
                                "panggilan bekerja dalam satker pemanggil; Sekretaris, Rendatin, Inspektorat, Ketua "
                                "dan admin KPU Provinsi atau KPU RI dapat membaca (GET) data satker di bawahnya "
                                "dengan parameter ?satker=KODE (perubahan ditolak, 403)."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}}}, **SPEC_SCHEMAS},
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": dict(sorted(SPEC_PATHS.items())),
    }
    return jsonify(doc)
