"""Evidence (bukti dukung): storage and photo/document handling (SOP Kudus step 1)."""
