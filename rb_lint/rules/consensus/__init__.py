"""RB500–RB549: consensus exports — annotators, their pairwise scores, and the scale of the scores.

Missing keys and wrong types are the structure rules' business (RB101, RB102); these rules check
what a schema cannot: counts, cross-references, scales and pairs.
"""

from rb_lint.rules.consensus.asymmetric_pairwise_score import asymmetric_pairwise_score
from rb_lint.rules.consensus.consensus_score_count import consensus_score_count
from rb_lint.rules.consensus.consensus_score_single_annotator import consensus_score_single_annotator
from rb_lint.rules.consensus.consensus_series_mismatch import consensus_series_mismatch
from rb_lint.rules.consensus.duplicate_annotator import duplicate_annotator
from rb_lint.rules.consensus.duplicate_secondary_user import duplicate_secondary_user
from rb_lint.rules.consensus.empty_consensus_tasks import empty_consensus_tasks
from rb_lint.rules.consensus.missing_consensus_score import missing_consensus_score
from rb_lint.rules.consensus.mixed_score_scales import mixed_score_scales
from rb_lint.rules.consensus.score_out_of_range import score_out_of_range
from rb_lint.rules.consensus.self_score import self_score
from rb_lint.rules.consensus.unknown_secondary_user import unknown_secondary_user
from rb_lint.rules.consensus.wrong_score_scale import wrong_score_scale

RULES = [
    empty_consensus_tasks,  # RB500
    consensus_score_count,  # RB501
    self_score,  # RB502
    unknown_secondary_user,  # RB503
    duplicate_secondary_user,  # RB504
    wrong_score_scale,  # RB505
    mixed_score_scales,  # RB506
    score_out_of_range,  # RB507
    asymmetric_pairwise_score,  # RB508
    consensus_score_single_annotator,  # RB509
    missing_consensus_score,  # RB510
    duplicate_annotator,  # RB511
    consensus_series_mismatch,  # RB512
]
