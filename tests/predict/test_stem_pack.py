"""Member names of a .zip stem pack: read as their maker wrote them, so their words sort them."""
from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from mixbuddy.corpus.stem_names import default_mapping
from mixbuddy.predict.stem_pack import member_name, pack_members


def _zip_with_raw_names(path: Path, names: dict[str, bytes]) -> Path:
    """A zip whose members' names are the given bytes with the UTF-8 flag unset, as the ``zip`` command of Linux and
    macOS writes UTF-8 names, or old Windows its code page: written under ASCII stand-ins of the same length, whose
    bytes are then replaced (the CRC covers the data, not the name)."""
    stand_ins = {f"{i:0{len(raw) - 4}d}.ogg".encode(): raw for i, raw in enumerate(names.values())}
    with zipfile.ZipFile(path, "w") as z:
        for stand_in in stand_ins:
            z.writestr(stand_in.decode(), b"not audio, never decoded here")
    data = path.read_bytes()
    for stand_in, raw in stand_ins.items():
        assert data.count(stand_in) == 2 and len(stand_in) == len(raw)   # the local header and the central directory
        data = data.replace(stand_in, raw)
    path.write_bytes(data)
    return path


def test_utf8_names_written_without_the_flag_are_read_as_utf8(tmp_path):
    """Info-ZIP's ``zip`` wrote "Batería.ogg" as UTF-8 without the flag: Python reads "Bater├¡a.ogg", which named
    no stem and went to "other"; read as UTF-8 it is the drums. A name in code page 437 (old Windows) stays as Python
    reads it, and a flagged name is not touched."""
    pack = _zip_with_raw_names(tmp_path / "pack.zip", {"drums": "Batería.ogg".encode(), "vocals": "Voz Señora.ogg".encode(),
                                                        "bass": "Bajo.ogg".encode(), "cp437": "Schlagzeug Ü.ogg".encode("cp437")})
    with zipfile.ZipFile(pack) as z:
        raw = [i.filename for i in z.infolist()]
        assert "Bater├¡a.ogg" in raw                                           # what Python alone reads
        assert [member_name(i) for i in z.infolist()] == ["Batería.ogg", "Voz Señora.ogg", "Bajo.ogg", "Schlagzeug Ü.ogg"]
    rel = sorted(pack_members(pack).values())
    assert rel == sorted(PurePosixPath(n) for n in ("Batería.ogg", "Voz Señora.ogg", "Bajo.ogg", "Schlagzeug Ü.ogg"))
    mapping = default_mapping()
    assert [mapping.stem_of(r.name) for r in rel] == ["bass", "drums", "drums", "vocals"]
    flagged = tmp_path / "flagged.zip"
    with zipfile.ZipFile(flagged, "w") as z:
        z.writestr("Batería ├.ogg", b"x")     # non-ASCII: Python sets the flag itself
    with zipfile.ZipFile(flagged) as z:
        (info,) = z.infolist()
        assert member_name(info) == "Batería ├.ogg"
