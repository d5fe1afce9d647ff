"""Monthly roll-up and pleno packets for Rendatin (SOP Kudus steps 4-6)."""
