"""The monthly roll-up (SOP Kudus step 4): verified entries of closed unit-months, compiled with pandas.

The database does the heavy lifting: every figure starts as a SQL ``GROUP BY`` whose grouped rows are handed
to pandas, so a national-size month (a million entries) never becomes a million ORM objects. Entries that are
not part of the figures (their unit-month is still open, or they were not verified before the month closed)
are counted and reported in their own frame, never silently dropped.

The same data gives the same frames, and ``data_sha256`` hashes a canonical serialisation of them, so a
rebuild of an unchanged month keeps its hash.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath

import numpy as np
import pandas as pd
from sqlalchemy import Float, and_, case, cast, distinct, func, or_, select, text
from sqlalchemy.orm import aliased

from silabu.accounts.models import Unit, User
from silabu.accounts.services import role_holder_ids
from silabu.catalog.calendar import MonthCalendar
from silabu.catalog.models import OutputCode
from silabu.core.clock import parse_period, previous_period
from silabu.entries import months
from silabu.entries.compliance import filled_day_sql
from silabu.entries.models import Entry, EntryStatus, Evidence, UnitMonth
from silabu.extensions import db
from silabu.pleno.completeness import LOGGING_ROLES, counted_unit_ids  # who gets a row even without entries
from silabu.pleno.indicators import pk_view

# Frames that make up the data of a packet, in the order they are hashed and written.
FRAME_NAMES = ("units", "asn", "outputs", "unit_outputs", "quantities", "comparison", "quantity_comparison",
               "indicators", "missing", "asn_quantities")


MISSING_OPEN = "Bulan unit belum ditutup"
MISSING_UNVERIFIED = "Belum terverifikasi saat bulan ditutup"


@dataclass
class Rollup:
    """The month's figures as DataFrames, plus the calendar facts they rest on."""

    period: str
    working_days: int
    units: pd.DataFrame
    asn: pd.DataFrame
    outputs: pd.DataFrame
    unit_outputs: pd.DataFrame
    quantities: pd.DataFrame
    comparison: pd.DataFrame
    indicators: pd.DataFrame
    missing: pd.DataFrame
    quantity_comparison: pd.DataFrame
    asn_quantities: pd.DataFrame
    previous_period: str = ""

    def evidence_items(self) -> list[EvidenceItem]:
        """The evidence of the entries in the figures, in a stable order (the packet's index and ZIP)."""
        return evidence_items(self.period)

    def entry_rows(self) -> list[EntryRow]:
        """The verified entries in the figures, one row each (the packet's compilation of the softfiles)."""
        return entry_rows(self.period)

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in FRAME_NAMES}

    @property
    def is_empty(self) -> bool:
        """No verified entry of a closed unit-month, and nothing waiting either."""
        return int(self.units["activities"].sum()) == 0 and self.missing.empty

    def data_sha256(self) -> str:
        return frames_sha256(self.period, self.working_days, self.frames)

    def summary(self) -> dict:
        """Plain numbers for Packet.summary, the API and the pages."""
        u, a = self.units, self.asn
        # The units frame holds the counted units only (``completeness.counted_unit_ids``).
        staffed = u
        quantities = (self.quantities.groupby("uom", observed=True)["quantity"].sum().sort_index()
                      if not self.quantities.empty else pd.Series(dtype="float64"))
        closed = int(staffed["is_closed"].sum()) if not staffed.empty else 0
        compliance = a["compliance"].dropna()
        missing_total = int(self.missing["entries"].sum()) if not self.missing.empty else 0
        activities = int(u["activities"].sum()) if not u.empty else 0
        per_unit: dict[str, dict[str, int | float]] = {}
        for q in self.quantities.itertuples(index=False):
            per_unit.setdefault(str(q.unit_code), {})[str(q.uom)] = _num(float(q.quantity))
        data = {
            "month": self.period,
            "working_days": self.working_days,
            "units_total": int(len(staffed)),
            "units_closed": closed,
            "units_open": [str(c) for c in staffed.loc[~staffed["is_closed"], "unit_code"]] if not staffed.empty else [],
            "asn_count": int(len(a)),
            "asn_with_entries": int((a["activities"] > 0).sum()) if not a.empty else 0,
            "activities": activities,
            "quantity_by_unit": {str(k): _num(float(v)) for k, v in quantities.items()},
            "evidence": int(u["evidence"].sum()) if not u.empty else 0,
            "compliance_avg": _num(round(float(compliance.mean()), 2)) if len(compliance) else None,
            "returned_fixed": int(u["returned_fixed"].sum()) if not u.empty else 0,
            "missing_entries": missing_total,
            "output_codes": int(self.outputs["code"].nunique()) if not self.outputs.empty else 0,
            "indicators": int(len(self.indicators)),
            "pk_indicators": [{"report_code": str(i.report_code), "code": str(i.indicator_code),
                               "name": str(i.indicator), "unit": str(i.indicator_unit),
                               "target_month": _num_or_none(i.target_month),
                               "realisasi_month": _num_or_none(i.realisasi_month),
                               "target_to_date": _num_or_none(i.target_to_date),
                               "realisasi_to_date": _num_or_none(i.realisasi_to_date),
                               "capaian_to_date": _num_or_none(i.capaian_to_date), "note": str(i.note)}
                              for i in self.indicators.itertuples(index=False)],
            "previous_month": self.previous_period,
            "is_empty": self.is_empty,
            "units": [{"code": str(r.unit_code), "name": str(r.unit_name), "is_closed": bool(r.is_closed),
                       "asn_count": int(r.asn_count), "activities": int(r.activities),
                       "quantity_by_unit": per_unit.get(str(r.unit_code), {}), "evidence": int(r.evidence),
                       "compliance": None if pd.isna(r.compliance) else _num(float(r.compliance)),
                       "returned_fixed": int(r.returned_fixed), "missing_entries": int(r.missing_entries)}
                      for r in u.itertuples(index=False)],
        }
        if data["is_empty"]:
            data["message"] = "Belum ada data terverifikasi dari bulan unit yang sudah ditutup untuk bulan ini."
        elif missing_total:
            data["message"] = (f"{missing_total} entri belum masuk rekapitulasi (bulan unit belum ditutup atau "
                               "entri belum terverifikasi).")
        else:
            data["message"] = "Seluruh entri bulan ini sudah terverifikasi dan masuk rekapitulasi."
        return data


def rollup(period: str) -> Rollup:
    """Compile the month: per unit, per ASN and per output code, the comparison and the PK indicators."""
    year, month = parse_period(period)
    cal = MonthCalendar(year, month)
    if db.session.get_bind().dialect.name == "postgresql":
        # Room for hash aggregates over a national month instead of sorting on disk; this transaction only.
        db.session.execute(text("SET LOCAL work_mem = '128MB'"))
    base = _base(period, cal)
    prev_period = previous_period(period)
    py, pm = parse_period(prev_period)
    prev_units = _unit_totals(prev_period, MonthCalendar(py, pm), base.people, base.units_df)
    comparison = _comparison(base.units, prev_units)
    quantity_comparison = _quantity_comparison(base.quantities, _uom_totals(prev_period, base.units_df))
    indicators = pk_view(period)
    return Rollup(period=period, working_days=len(cal.working_days), units=base.units, asn=base.asn,
                  outputs=base.outputs, unit_outputs=base.unit_outputs, quantities=base.quantities,
                  comparison=comparison, indicators=indicators, missing=base.missing,
                  quantity_comparison=quantity_comparison, asn_quantities=base.asn_quantities,
                  previous_period=prev_period)


def frames_sha256(period: str, working_days: int, frames: dict[str, pd.DataFrame]) -> str:
    """sha256 of a canonical text form of the frames: fixed order, fixed float format, '\\n' line ends."""
    h = hashlib.sha256()
    h.update(f"period={period}\nworking_days={working_days}\n".encode())
    for name in FRAME_NAMES:
        df = frames[name]
        h.update(f"[{name}]\n".encode())
        h.update(df.to_csv(index=False, lineterminator="\n", float_format="%.4f", na_rep="").encode())
    return h.hexdigest()


@dataclass
class _Base:
    people: pd.DataFrame
    units: pd.DataFrame
    asn: pd.DataFrame
    outputs: pd.DataFrame
    unit_outputs: pd.DataFrame
    quantities: pd.DataFrame
    missing: pd.DataFrame
    units_df: pd.DataFrame
    asn_quantities: pd.DataFrame


def _rows(stmt, columns: list[str]) -> pd.DataFrame:
    """Grouped rows of a Core select as a DataFrame, column by column.

    Runs through the session, so the satker scope (accounts.tenancy) limits it like every other query, and hands
    pandas one list per column: that matters when the rows number in the hundreds of thousands.
    """
    result = db.session.execute(stmt)
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.DataFrame(dict(zip(columns, (list(col) for col in zip(*rows)))))


def _counted(period: str):
    """Entries that make the figures (``entries.months.counted``) of this month."""
    return and_(Entry.period == period, months.counted())


def _people() -> pd.DataFrame:
    """Active accounts expected to log entries: they get a row even in a month without entries."""
    stmt = (select(User.id, User.name, User.nip, User.jabatan, User.unit_id)
            .where(User.id.in_(role_holder_ids(*LOGGING_ROLES))).order_by(User.id))
    return _ints(_rows(stmt, ["user_id", "name", "nip", "jabatan", "home_unit_id"]), ["user_id", "home_unit_id"])


def _base(period: str, cal: MonthCalendar, people: pd.DataFrame | None = None) -> _Base:
    if people is None:
        people = _people()
    units_df = _rows(select(Unit.id, Unit.code, Unit.name, Unit.is_active).order_by(Unit.code),
                     ["unit_id", "unit_code", "unit_name", "is_active"])
    units_df = _ints(units_df, ["unit_id"])
    closed_ids = set(db.session.scalars(select(UnitMonth.unit_id).where(UnitMonth.period == period,
                                                                         UnitMonth.is_closed.is_(True))))

    # The heavy part: one grouped row per (unit, ASN, output code, unit of measure) of the counted entries.
    group_cols = [Entry.unit_id, Entry.user_id, Entry.output_code_id, Entry.unit_of_measure]
    counted = _counted(period)
    main = _rows(select(*group_cols, func.count(Entry.id),
                        cast(func.sum(Entry.quantity), Float),
                        func.sum(case((Entry.return_count > 0, 1), else_=0)))
                 .join(UnitMonth, months.of_entry()).where(counted).group_by(*group_cols),
                 ["unit_id", "user_id", "output_code_id", "uom", "activities", "quantity", "returned_fixed"])
    evidence = _rows(select(*group_cols, func.count(Evidence.id))
                     .select_from(Evidence).join(Entry, Evidence.entry_id == Entry.id)
                     .join(UnitMonth, months.of_entry()).where(counted).group_by(*group_cols),
                     ["unit_id", "user_id", "output_code_id", "uom", "evidence"])
    keys = ["unit_id", "user_id", "output_code_id", "uom"]
    evidence = _ints(evidence, ["unit_id", "user_id", "output_code_id"])
    main = _ints(main, ["unit_id", "user_id", "output_code_id"])
    main = main.merge(evidence, on=keys, how="left")
    main = _ints(main, ["activities", "returned_fixed", "evidence"], "int32")
    main["uom"] = main["uom"].astype("category")
    main["quantity"] = main["quantity"].astype("float64").round(2)

    person = _person_stats(period, cal)
    filled = person[["unit_id", "user_id", "filled_days"]]
    status = _melt_missing(person)

    codes = _codes(main["output_code_id"].unique().tolist())
    asn = _asn_frame(main, filled, status, people, units_df, len(cal.working_days), closed_ids)
    units = _unit_frame(asn, main, units_df, closed_ids, counted_unit_ids(period))
    outputs, unit_outputs, quantities = _output_frames(main, codes, units_df)
    missing = _missing_frame(status, units_df)
    asn_quantities = (main.groupby(["unit_id", "user_id", "uom"], observed=True)["quantity"].sum().reset_index()
                      .astype({"uom": str}).sort_values(["unit_id", "user_id", "uom"], kind="stable")
                      .reset_index(drop=True))
    asn_quantities["quantity"] = asn_quantities["quantity"].astype("float64").round(2)
    return _Base(people, units, asn, outputs, unit_outputs, quantities, missing, units_df, asn_quantities)


MISSING_STATUSES = (EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.RETURNED, EntryStatus.VERIFIED)


def _person_stats(period: str, cal: MonthCalendar) -> pd.DataFrame:
    """One scan of the month, one row per (unit, ASN): filled days, counted entries, and what is missing.

    Filled days follow ``entries.compliance`` (the month's working days with a submitted-or-verified entry). Missing
    entries are split by reason (unit-month open / not verified when it closed) and status.
    """
    is_open = or_(UnitMonth.is_closed.is_(None), UnitMonth.is_closed.is_(False))
    counted = months.counted()
    cols = [Entry.unit_id, Entry.user_id, func.count(distinct(filled_day_sql(cal))),
            func.sum(case((counted, 1), else_=0)), cast(func.sum(case((counted, Entry.quantity), else_=0)), Float)]
    names = ["unit_id", "user_id", "filled_days", "activities", "quantity"]
    for st in MISSING_STATUSES:
        cols.append(func.sum(case((and_(is_open, Entry.status == st), 1), else_=0)))
        names.append(f"open:{st.value}")
        if st != EntryStatus.VERIFIED:
            cols.append(func.sum(case((and_(months.closed(), Entry.status == st), 1), else_=0)))
            names.append(f"closed:{st.value}")
    stmt = (select(*cols).outerjoin(UnitMonth, months.of_entry()).where(Entry.period == period)
            .group_by(Entry.unit_id, Entry.user_id))
    df = _ints(_rows(stmt, names), ["unit_id", "user_id"])
    df = _ints(df, [n for n in names if n not in ("unit_id", "user_id", "quantity")], "int32")
    df["quantity"] = df["quantity"].fillna(0.0).astype("float64").round(2)
    return df


def _melt_missing(person: pd.DataFrame) -> pd.DataFrame:
    """(unit, ASN, status, closed, entries) rows for the entries outside the figures."""
    cols = [c for c in person.columns if ":" in c]
    long = person.melt(id_vars=["unit_id", "user_id"], value_vars=cols, var_name="kind", value_name="entries")
    long = long[long["entries"] > 0]
    parts = long["kind"].str.split(":", n=1, expand=True) if not long.empty else None
    out = pd.DataFrame({"unit_id": long["unit_id"].astype("int64"), "user_id": long["user_id"].astype("int64"),
                        "status": parts[1] if parts is not None else pd.Series(dtype="object"),
                        "closed": (parts[0] == "closed") if parts is not None else pd.Series(dtype="bool"),
                        "entries": long["entries"].astype("int32")})
    return out.reset_index(drop=True)


def _unit_totals(period: str, cal: MonthCalendar, people: pd.DataFrame, units_df: pd.DataFrame) -> pd.DataFrame:
    """Per unit of another month (the comparison): activities and compliance, from one scan."""
    person = _person_stats(period, cal)
    wd = len(cal.working_days)
    rows = person[["unit_id", "user_id", "activities", "filled_days"]]
    idle = people.loc[~people["user_id"].isin(rows["user_id"]), ["home_unit_id", "user_id"]].rename(
        columns={"home_unit_id": "unit_id"})
    rows = pd.concat([rows, idle], ignore_index=True)
    for c in ("activities", "filled_days"):
        rows[c] = rows[c].fillna(0)
    rows["compliance"] = rows["filled_days"] / wd * 100 if wd else np.nan
    agg = rows.groupby("unit_id").agg(activities=("activities", "sum"),
                                      compliance=("compliance", "mean")).reset_index()
    out = units_df[["unit_id", "unit_code"]].merge(agg, on="unit_id", how="inner")
    out["activities"] = out["activities"].astype("int32")
    out["compliance"] = out["compliance"].astype("float64").round(2)
    return out


def _ints(df: pd.DataFrame, cols: list[str], dtype: str = "int64") -> pd.DataFrame:
    """Keys as int64 (merges need equal key types, also on empty frames); counts narrowed to int32."""
    for c in cols:
        df[c] = df[c].fillna(0).astype(dtype)
    return df


def _codes(ids: list[int]) -> pd.DataFrame:
    if not ids:
        return pd.DataFrame({"output_code_id": pd.Series(dtype="int64"), "code": pd.Series(dtype="object"),
                             "code_name": pd.Series(dtype="object")})
    rows = []
    for i in range(0, len(ids), 900):  # keep IN lists within SQLite's parameter limit
        rows += db.session.execute(select(OutputCode.id, OutputCode.code, OutputCode.name)
                                   .where(OutputCode.id.in_([int(x) for x in ids[i:i + 900]]))).all()
    return _ints(pd.DataFrame.from_records(rows, columns=["output_code_id", "code", "code_name"]), ["output_code_id"])


def _asn_frame(main: pd.DataFrame, filled: pd.DataFrame, status: pd.DataFrame, people: pd.DataFrame,
               units_df: pd.DataFrame, working_days: int, closed_ids: set[int]) -> pd.DataFrame:
    keys = ["unit_id", "user_id"]
    per = (main.groupby(keys, observed=True)
           .agg(activities=("activities", "sum"), quantity=("quantity", "sum"), evidence=("evidence", "sum"),
                returned_fixed=("returned_fixed", "sum")).reset_index())
    detail = _quantity_detail(main)
    per = per.merge(detail, on=keys, how="left")
    miss = status.groupby(keys).agg(missing_entries=("entries", "sum")).reset_index()
    # Each person appears under the unit of their entries; people without any entry under their own unit.
    seen = pd.concat([per[keys], filled[keys], miss[keys]], ignore_index=True).drop_duplicates()
    idle = people.loc[~people["user_id"].isin(seen["user_id"]), ["home_unit_id", "user_id"]]
    idle = idle.rename(columns={"home_unit_id": "unit_id"})
    rows = pd.concat([seen, idle], ignore_index=True).astype({"unit_id": "int64", "user_id": "int64"})
    rows = rows.merge(per, on=keys, how="left").merge(filled, on=keys, how="left").merge(miss, on=keys, how="left")
    names = _names(rows["user_id"], people)
    rows = rows.merge(names, on="user_id", how="left").merge(units_df[["unit_id", "unit_code", "unit_name"]],
                                                             on="unit_id", how="left")
    for c in ("activities", "evidence", "returned_fixed", "filled_days", "missing_entries"):
        rows[c] = rows[c].fillna(0).astype("int32")
    rows["quantity"] = rows["quantity"].fillna(0.0).astype("float64").round(2)
    rows["quantity_detail"] = rows["quantity_detail"].fillna("")
    rows["working_days"] = np.int32(working_days)
    rows["compliance"] = (rows["filled_days"] / working_days * 100).round(2) if working_days else np.nan
    rows["unit_closed"] = rows["unit_id"].isin(closed_ids)
    rows = rows.sort_values(["unit_code", "name", "user_id"], kind="stable").reset_index(drop=True)
    return rows[["unit_id", "unit_code", "unit_name", "user_id", "nip", "name", "jabatan", "activities",
                 "quantity_detail", "evidence", "working_days", "filled_days", "compliance", "returned_fixed",
                 "missing_entries", "unit_closed"]]


def _quantity_detail(main: pd.DataFrame) -> pd.DataFrame:
    """'9 Dokumen; 2 Kegiatan' per person: quantities keep their unit of measure."""
    if main.empty:
        return pd.DataFrame({"unit_id": pd.Series(dtype="int64"), "user_id": pd.Series(dtype="int64"),
                             "quantity_detail": pd.Series(dtype="object")})
    q = main.groupby(["unit_id", "user_id", "uom"], observed=True)["quantity"].sum().reset_index()
    q = q.sort_values(["unit_id", "user_id", "uom"], kind="stable")
    q["txt"] = _angka_series(q["quantity"]) + " " + q["uom"].astype(str)
    joined: dict[tuple[int, int], list[str]] = {}
    for key, txt in zip(zip(q["unit_id"].tolist(), q["user_id"].tolist()), q["txt"].tolist()):
        joined.setdefault(key, []).append(txt)
    return pd.DataFrame({"unit_id": pd.Series([k[0] for k in joined], dtype="int64"),
                         "user_id": pd.Series([k[1] for k in joined], dtype="int64"),
                         "quantity_detail": ["; ".join(v) for v in joined.values()]})


def _names(user_ids: pd.Series, people: pd.DataFrame) -> pd.DataFrame:
    cols = ["user_id", "name", "nip", "jabatan"]
    known = people[cols]
    unknown = sorted({int(u) for u in user_ids} - {int(u) for u in known["user_id"]})
    extra = []
    for i in range(0, len(unknown), 900):
        extra += db.session.execute(select(User.id, User.name, User.nip, User.jabatan)
                                    .where(User.id.in_(unknown[i:i + 900]))).all()
    if extra:
        known = pd.concat([known, _ints(pd.DataFrame.from_records(extra, columns=cols), ["user_id"])],
                          ignore_index=True)
    known = known.copy()
    known["nip"] = known["nip"].fillna("")
    known["jabatan"] = known["jabatan"].fillna("")
    return known


def _unit_frame(asn: pd.DataFrame, main: pd.DataFrame, units_df: pd.DataFrame, closed_ids: set[int],
                counted_ids: set[int]) -> pd.DataFrame:
    """One row per counted unit (staff who log, or entries this month): never a unit with no month to close."""
    agg = (asn.groupby("unit_id")
           .agg(asn_count=("user_id", "nunique"), activities=("activities", "sum"),
                evidence=("evidence", "sum"), compliance=("compliance", "mean"),
                filled_days=("filled_days", "mean"), returned_fixed=("returned_fixed", "sum"),
                missing_entries=("missing_entries", "sum")).reset_index())
    wanted = units_df.loc[units_df["unit_id"].isin(counted_ids)]
    units = wanted[["unit_id", "unit_code", "unit_name"]].merge(agg, on="unit_id", how="left")
    units = units.merge(_unit_quantity_detail(main), on="unit_id", how="left")
    units["quantity_detail"] = units["quantity_detail"].fillna("")
    for c in ("asn_count", "activities", "evidence", "returned_fixed", "missing_entries"):
        units[c] = units[c].fillna(0).astype("int32")
    units["compliance"] = units["compliance"].astype("float64").round(2)
    units["filled_days"] = units["filled_days"].astype("float64").round(2)
    units["is_closed"] = units["unit_id"].isin(closed_ids)
    units = units.sort_values("unit_code", kind="stable").reset_index(drop=True)
    return units[["unit_id", "unit_code", "unit_name", "is_closed", "asn_count", "activities", "quantity_detail",
                  "evidence", "filled_days", "compliance", "returned_fixed", "missing_entries"]]


def _unit_quantity_detail(main: pd.DataFrame) -> pd.DataFrame:
    """'9 Dokumen; 2 Kegiatan' per unit: a unit's output is never one number across units of measure."""
    if main.empty:
        return pd.DataFrame({"unit_id": pd.Series(dtype="int64"), "quantity_detail": pd.Series(dtype="object")})
    q = main.groupby(["unit_id", "uom"], observed=True)["quantity"].sum().reset_index()
    q = q.sort_values(["unit_id", "uom"], kind="stable")
    q["txt"] = _angka_series(q["quantity"]) + " " + q["uom"].astype(str)
    out = q.groupby("unit_id")["txt"].agg("; ".join).reset_index().rename(columns={"txt": "quantity_detail"})
    out["unit_id"] = out["unit_id"].astype("int64")
    return out


def _uom_totals(period: str, units_df: pd.DataFrame) -> pd.DataFrame:
    """Counted quantities of another month per (unit, unit of measure): the month-to-month deltas' other side."""
    df = _rows(select(Entry.unit_id, Entry.unit_of_measure, cast(func.sum(Entry.quantity), Float))
               .join(UnitMonth, months.of_entry()).where(_counted(period))
               .group_by(Entry.unit_id, Entry.unit_of_measure), ["unit_id", "uom", "quantity"])
    df = _ints(df, ["unit_id"]).merge(units_df[["unit_id", "unit_code"]], on="unit_id", how="inner")
    df["quantity"] = df["quantity"].astype("float64").round(2)
    return df[["unit_code", "uom", "quantity"]]


def _quantity_comparison(cur: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    """Output this month and last, per unit and unit of measure: deltas only within one unit of measure."""
    c = cur[["unit_code", "uom", "quantity"]].astype({"uom": str})
    p = prev.rename(columns={"quantity": "quantity_prev"}).astype({"uom": str})
    df = c.merge(p, on=["unit_code", "uom"], how="outer")
    for col in ("quantity", "quantity_prev"):
        df[col] = df[col].fillna(0.0).astype("float64").round(2)
    df["quantity_change"] = (df["quantity"] - df["quantity_prev"]).round(2)
    df = df.sort_values(["unit_code", "uom"], kind="stable").reset_index(drop=True)
    return df[["unit_code", "uom", "quantity_prev", "quantity", "quantity_change"]]


def _output_frames(main: pd.DataFrame, codes: pd.DataFrame, units_df: pd.DataFrame):
    m = main.merge(codes, on="output_code_id", how="left").merge(
        units_df[["unit_id", "unit_code", "unit_name"]], on="unit_id", how="left")
    outputs = (m.groupby(["code", "code_name", "uom"], observed=True)
               .agg(activities=("activities", "sum"), quantity=("quantity", "sum"), evidence=("evidence", "sum"),
                    asn_count=("user_id", "nunique"), unit_count=("unit_id", "nunique"))
               .reset_index().sort_values(["code", "uom"], kind="stable").reset_index(drop=True))
    unit_outputs = (m.groupby(["unit_code", "code", "code_name", "uom"], observed=True)
                    .agg(activities=("activities", "sum"), quantity=("quantity", "sum"),
                         evidence=("evidence", "sum"), asn_count=("user_id", "nunique"))
                    .reset_index().sort_values(["unit_code", "code", "uom"], kind="stable").reset_index(drop=True))
    quantities = (m.groupby(["unit_code", "uom"], observed=True)
                  .agg(activities=("activities", "sum"), quantity=("quantity", "sum"))
                  .reset_index().sort_values(["unit_code", "uom"], kind="stable").reset_index(drop=True))
    for df in (outputs, unit_outputs, quantities):
        df["quantity"] = df["quantity"].astype("float64").round(2)
        df["uom"] = df["uom"].astype(str)
        for c in ("activities", "evidence", "asn_count", "unit_count"):
            if c in df:
                df[c] = df[c].astype("int32")
    return outputs, unit_outputs, quantities


def _missing_frame(status: pd.DataFrame, units_df: pd.DataFrame) -> pd.DataFrame:
    from silabu.entries.models import STATUS_LABELS

    if status.empty:
        return pd.DataFrame({"unit_code": pd.Series(dtype="object"), "unit_name": pd.Series(dtype="object"),
                             "reason": pd.Series(dtype="object"), "status": pd.Series(dtype="object"),
                             "entries": pd.Series(dtype="int32"), "asn_count": pd.Series(dtype="int32")})
    s = status.copy()
    s["reason"] = np.where(s["closed"], MISSING_UNVERIFIED, MISSING_OPEN)
    labels = {k.value: v for k, v in STATUS_LABELS.items()}
    s["status"] = s["status"].map(lambda v: labels.get(v, v))
    s = s.merge(units_df[["unit_id", "unit_code", "unit_name"]], on="unit_id", how="left")
    out = (s.groupby(["unit_code", "unit_name", "reason", "status"])
           .agg(entries=("entries", "sum"), asn_count=("user_id", "nunique")).reset_index()
           .sort_values(["unit_code", "reason", "status"], kind="stable").reset_index(drop=True))
    out["entries"] = out["entries"].astype("int32")
    out["asn_count"] = out["asn_count"].astype("int32")
    return out


def _comparison(cur: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    cols = ["unit_code", "activities", "compliance"]
    p = prev[cols].rename(columns={"activities": "activities_prev", "compliance": "compliance_prev"})
    # Last month's units that this month does not count appear only when they had verified work then.
    p = p.loc[p["unit_code"].isin(cur["unit_code"]) | (p["activities_prev"] > 0)]
    c = cur[["unit_code", "unit_name", "activities", "compliance"]]
    df = c.merge(p, on="unit_code", how="outer")
    df["unit_name"] = df["unit_name"].fillna("")
    for col in ("activities", "activities_prev"):
        df[col] = df[col].fillna(0).astype("int32")
    df["activities_change"] = (df["activities"] - df["activities_prev"]).astype("int32")
    df["compliance_change"] = (df["compliance"] - df["compliance_prev"]).round(2)
    df = df.sort_values("unit_code", kind="stable").reset_index(drop=True)
    return df[["unit_code", "unit_name", "activities_prev", "activities", "activities_change", "compliance_prev",
               "compliance", "compliance_change"]]


def _angka_series(values: pd.Series) -> pd.Series:
    """Indonesian number text for a column; formats each distinct value once (there are few of them)."""
    from silabu.core.formatting import angka

    texts = {v: angka(v) for v in pd.unique(values)}
    return values.map(texts).astype(str)


def _num_or_none(value: float | None) -> int | float | None:
    return None if value is None or pd.isna(value) else _num(float(value))


def _num(value: float) -> int | float:
    """JSON-friendly: 9.0 -> 9, 2.5 -> 2.5."""
    return int(value) if float(value).is_integer() else round(float(value), 2)


@dataclass
class EvidenceItem:
    evidence_id: int
    entry_id: int
    entry_date: date
    unit_code: str
    nip: str
    name: str
    output_code: str
    activity: str
    n: int
    storage_key: str
    original_name: str
    content_type: str
    size: int
    sha256: str

    @property
    def extension(self) -> str:
        suffix = PurePosixPath(self.storage_key).suffix or PurePosixPath(self.original_name).suffix
        return suffix.lower()[:10]

    @property
    def zip_name(self) -> str:
        who = self.nip or _slug(self.name)
        return f"{self.entry_date.isoformat()}_{who}_{self.entry_id}_{self.n}{self.extension}"


def evidence_items(period: str) -> list[EvidenceItem]:
    """Evidence of the entries in the figures (verified, closed unit-month), in a stable order."""
    rows = db.session.execute(
        select(Evidence.id, Entry.id, Entry.entry_date, Unit.code, User.nip, User.name, OutputCode.code,
               Entry.activity, Evidence.storage_key, Evidence.original_name, Evidence.content_type, Evidence.size,
               Evidence.sha256)
        .select_from(Evidence).join(Entry, Evidence.entry_id == Entry.id)
        .join(UnitMonth, months.of_entry())
        .join(User, User.id == Entry.user_id).join(Unit, Unit.id == Entry.unit_id)
        .join(OutputCode, OutputCode.id == Entry.output_code_id)
        .where(_counted(period))
        .order_by(Entry.entry_date, Unit.code, User.name, Entry.id, Evidence.id)).all()
    items: list[EvidenceItem] = []
    last_entry, n = None, 0
    for row in rows:
        n = n + 1 if row[1] == last_entry else 1
        last_entry = row[1]
        items.append(EvidenceItem(row[0], row[1], row[2], row[3], row[4] or "", row[5], row[6], row[7], n, row[8],
                                  row[9], row[10], row[11], row[12]))
    return items


@dataclass
class EntryRow:
    entry_id: int
    entry_date: date
    name: str
    nip: str
    unit_code: str
    output_code: str
    activity: str
    output: str
    quantity: float
    uom: str
    evidence: int
    verified_by: str
    verified_at: datetime | None


def entry_rows(period: str) -> list[EntryRow]:
    """Each verified entry of a closed unit-month of ``period`` once, by date, unit, ASN."""
    verifier = aliased(User)
    n_evidence = (select(func.count(Evidence.id)).where(Evidence.entry_id == Entry.id)
                  .correlate(Entry).scalar_subquery())
    rows = db.session.execute(
        select(Entry.id, Entry.entry_date, User.name, User.nip, Unit.code, OutputCode.code, Entry.activity,
               Entry.output, Entry.quantity, Entry.unit_of_measure, n_evidence, verifier.name, Entry.verified_at)
        .join(UnitMonth, months.of_entry())
        .join(User, User.id == Entry.user_id).join(Unit, Unit.id == Entry.unit_id)
        .join(OutputCode, OutputCode.id == Entry.output_code_id)
        .outerjoin(verifier, verifier.id == Entry.verified_by_id)
        .where(_counted(period))
        .order_by(Entry.entry_date, Unit.code, User.name, Entry.id)).all()
    return [EntryRow(r[0], r[1], r[2], r[3] or "", r[4], r[5], r[6], r[7] or "", float(r[8]), r[9], int(r[10] or 0),
                     r[11] or "", r[12]) for r in rows]


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.strip().lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")[:40] or "asn"
