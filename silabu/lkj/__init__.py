"""The annual Laporan Kinerja: capaian, compile, review."""
