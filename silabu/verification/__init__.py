"""Month-end verification by the Kepala Sub Bagian (SOP Kudus step 3)."""
