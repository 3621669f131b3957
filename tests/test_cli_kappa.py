"""κ on the command line (`run`/`sweep --kappa`), sweep phase times, report profiles, group aliases."""

from __future__ import annotations

import json

import pytest

from lrbias.claims.catalogue import load_entries, select
from lrbias.claims.profiles import PROFILES
from lrbias.cli import build_parser, main
from lrbias.losses.families import get_family


def test_run_kappa_is_c_times_curvature(capsys):
    spec = "softplus-pair:a=0.5"
    curvature = get_family(spec).curvature
    assert main(["run", "--loss", spec, "--x0", "3", "--y0", "0.4", "--kappa", "8", "--json"]) == 0
    by_kappa = json.loads(capsys.readouterr().out)
    assert main(["run", "--loss", spec, "--x0", "3", "--y0", "0.4", "--C", repr(8 / curvature), "--json"]) == 0
    by_c = json.loads(capsys.readouterr().out)
    assert by_kappa["h"] == pytest.approx(by_c["h"], rel=1e-15)
    assert by_kappa["outcome"] == by_c["outcome"] and by_kappa["steps"] == by_c["steps"]
    assert by_kappa["h"] == pytest.approx(8 / (curvature * (9 + 0.16)), rel=1e-15)
    assert main(["run", "--loss", spec, "--x0", "3", "--y0", "0.4", "--kappa", "8"]) == 0
    assert "kappa = C·l''(1) = 8" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["run", "--loss", "square", "--x0", "1", "--y0", "1", "--kappa", "2", "--C", "1"],
    ["run", "--loss", "square", "--x0", "1", "--y0", "1", "--kappa", "2", "--h", "1"],
    ["sweep", "--loss", "square", "--kappa", "1:2", "--C", "1:2"],
])
def test_kappa_excludes_c_and_h_in_one_line(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not allowed with argument" in err and "--kappa" in err


@pytest.mark.parametrize("argv, needle", [
    (["run", "--loss", "square", "--x0", "1", "--y0", "1", "--kappa", "-1"], "--kappa -1.0 is invalid"),
    (["run", "--loss", "square", "--x0", "0", "--y0", "0", "--kappa", "1"], "with --kappa"),
    (["sweep", "--loss", "square", "--kappa", "3:2"], "--kappa = '3:2' has LO > HI"),
    (["sweep", "--loss", "square", "--kappa", "0:2"], "--kappa = '0:2' must be positive"),
])
def test_bad_kappa_names_the_value(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lrbias: error:") and needle in err


def test_sweep_kappa_prints_kappa_and_the_time_of_each_phase(capsys):
    spec = "softplus-pair:a=1"
    curvature = get_family(spec).curvature
    assert main(["sweep", "--loss", spec, "--kappa", "2:6", "--n", "300", "--steps", "2000", "--seed", "3",
                 "--artefact-budget", "3", "--json"]) == 0
    by_kappa = json.loads(capsys.readouterr().out)
    assert main(["sweep", "--loss", spec, "--C", f"{2 / curvature!r}:{6 / curvature!r}", "--n", "300",
                 "--steps", "2000", "--seed", "3", "--artefact-budget", "3", "--json"]) == 0
    by_c = json.loads(capsys.readouterr().out)
    assert by_kappa["shares"] == by_c["shares"] and by_kappa["ratio_quantiles"] == by_c["ratio_quantiles"]
    assert by_kappa["settings"]["kappa"] == "2:6" and by_kappa["artefact_check_s"] >= 0
    assert main(["sweep", "--loss", spec, "--kappa", "2:6", "--n", "300", "--steps", "2000",
                 "--artefact-budget", "3"]) == 0
    out = capsys.readouterr().out
    assert "kappa = C·l''(1) in [2, 6]" in out
    assert "time      sweep " in out and "float-artefact check " in out and "total " in out
    assert main(["sweep", "--loss", spec, "--kappa", "2", "--n", "50", "--steps", "500", "--no-artefact-check"]) == 0
    assert "float-artefact check skipped" in capsys.readouterr().out


@pytest.mark.parametrize("profile", list(PROFILES))
def test_report_accepts_every_profile_check_does(profile):
    for command in ("check", "report"):
        args = build_parser().parse_args([command, "--profile", profile])
        assert args.profile == profile


def test_eos_is_an_alias_of_the_sharpness_group():
    entries = load_entries(include_nn=False)
    sharpness = select(entries, ["sharpness"])
    assert sharpness and select(entries, ["eos"]) == sharpness
    assert select(entries, ["eos.edge-of-stability-good-regularity"]) == \
        select(entries, ["sharpness.edge-of-stability-good-regularity"])
