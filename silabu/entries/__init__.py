"""The ASN's daily log (SOP Kudus steps 1-2)."""
