"""The joint-optimal decision behind the hard verdict (mixbuddy.model.verdict)."""
import numpy as np
import pytest
import torch

from mixbuddy.evaluate.baselines.bayes import decide_from_posterior
from mixbuddy.model.heads import NUM_CLASSES, class_index, class_names, decode_class
from mixbuddy.model.verdict import allowed_from_anchor, allowed_targets, decide, decide_batch, headline, p_imbalance


def _post(p: np.ndarray) -> dict:
    return {("no_error" if k == 0 else n.replace("/", ":")): float(v) for k, (n, v) in enumerate(zip(class_names(), p))}


def test_direction_mass_beats_a_single_larger_class() -> None:
    """bass quiet + very quiet (0.25 + 0.25) outweigh no error (0.3) and drums very loud (0.2): the pair with
    the most mass wins, its most probable category gives the range."""
    p = torch.zeros(1, NUM_CLASSES)
    p[0, 0] = 0.3
    p[0, class_index("bass", "very_quiet")] = 0.24
    p[0, class_index("bass", "quiet")] = 0.26
    p[0, class_index("drums", "very_loud")] = 0.2
    assert decode_class(int(decide(p)[0])) == ("bass", "quiet")
    # the same posterior with bass as the anchor: bass is ruled out, renormalised -> no error (0.6) wins
    assert int(decide(p, allowed_from_anchor(torch.tensor([0])))[0]) == 0
    # a threshold on P(imbalance) only demotes: 0.7 >= 0.65 keeps the finding, 0.7 < 0.75 says balanced
    assert int(decide(p, threshold=0.65)[0]) == class_index("bass", "quiet") and int(decide(p, threshold=0.75)[0]) == 0
    q = torch.zeros(1, NUM_CLASSES)
    q[0, 0], q[0, 1:] = 0.4, 0.6 / 12                              # spread-out error mass: the rule says balanced
    assert int(decide(q, threshold=0.0)[0]) == 0                   # and no threshold promotes it


def test_p_imbalance_is_the_number_the_threshold_tests() -> None:
    """P(imbalance) over the allowed targets: with bass the anchor, 0.2 no error against 0.3 drums mass is
    1 - 0.2 / 0.5 = 0.6 (not 1 - 0.2 = 0.8); the threshold keeps or demotes exactly at that number. A mix
    said to lack the drums as well leaves no target: P(imbalance) 0."""
    p = torch.zeros(1, NUM_CLASSES)
    p[0, 0], p[0, class_index("bass", "quiet")] = 0.2, 0.5
    p[0, class_index("drums", "very_loud")] = 0.3
    bass = torch.tensor([0])
    assert float(p_imbalance(p)[0]) == pytest.approx(0.8)
    assert float(p_imbalance(p, allowed_from_anchor(bass))[0]) == pytest.approx(0.6)
    assert int(decide(p, allowed_from_anchor(bass), threshold=0.59)[0]) == class_index("drums", "very_loud")
    assert int(decide(p, allowed_from_anchor(bass), threshold=0.61)[0]) == 0
    no_drums = torch.tensor([[True, False, True]])
    assert allowed_targets(bass, no_drums).tolist() == [[False, False, True]]
    assert allowed_targets(None, no_drums).tolist() == no_drums.tolist() and allowed_targets(None) is None
    assert float(p_imbalance(p, allowed_targets(bass, no_drums))[0]) == pytest.approx(0.0)


@pytest.mark.parametrize("seed", range(3))
def test_matches_the_bayes_baselines_rule(seed: int) -> None:
    """On random posteriors the vectorised decision equals the loudness baseline's decide_from_posterior."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(NUM_CLASSES, 0.3), size=200)
    anchors = rng.integers(0, 4, size=200)
    targets = [tuple(s for i, s in enumerate(("bass", "drums", "vocals")) if i != a) for a in anchors]
    got = decide(torch.from_numpy(probs), allowed_from_anchor(torch.from_numpy(anchors)))
    assert np.array_equal(got.numpy(), decide_batch(probs, targets))
    for k in range(200):
        post = {key: v for key, v in _post(probs[k]).items() if key == "no_error" or key.split(":")[0] in targets[k]}
        z = sum(post.values())
        d = decide_from_posterior({key: v / z for key, v in post.items()}, targets[k])
        t, cat = decode_class(int(got[k]))
        assert (t, cat) == ((None, "no_error") if d.no_error else (d.target, d.category))


def test_headline_scores_decisions() -> None:
    class R:
        def __init__(self, target, category):
            self.target, self.category = target, category

    recs = [R("bass", "quiet"), R("bass", "very_loud"), R("vocals", "no_error"), R("drums", "loud")]
    cls = np.array([class_index("bass", "very_quiet"), class_index("bass", "quiet"), 0, 0])
    h = headline(recs, cls)
    # joint: bass quiet right (dir), bass very loud wrong direction, no error right, drums missed -> 2/4
    assert h["joint"] == 50.0 and h["no_error"] == 100.0
    # error samples: both bass ones name the right stem, only the first the right direction; drums missed
    assert h["stem"] == pytest.approx(200 / 3) and h["direction"] == pytest.approx(100 / 3)
    # magnitude: (6,12) vs (3,6) wrong, (3,6) vs (6,12) wrong, missed -> 0/3
    assert h["magnitude"] == 0.0
