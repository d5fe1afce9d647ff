"""Cross-cutting pieces every domain uses: errors, clock, audit log, formatting, access helpers."""
