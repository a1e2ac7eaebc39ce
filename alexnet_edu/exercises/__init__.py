"""Checkers for the book's exercises: call one with your answer to get a pass/fail message.

Each checker recomputes the answer with the package (never from a stored value), prints what is
right or wrong about the student's answer, and returns ``True`` or ``False``. One module per
chapter; every checker is importable from here: ``from alexnet_edu.exercises import check_...``.
"""

from .metric import (  # chapter 11
    check_topk_error,
    check_random_topk_error,
    check_error_gap_standard_errors,
)
from .preprocessing import (  # chapter 12
    check_rescaled_size,
    check_crop_fraction,
    check_mean_image,
)
from .augmentation import (  # chapter 13
    check_distinct_patches,
    check_pca_shift_rms,
)
from .architecture import (  # chapter 21, 25
    check_conv1_inputs,
    check_pool5_shape,
    check_smallest_input,
    check_layer_params,
    check_layer_macs,
    check_column_exchange,
    check_conv_param_share,
)
from .relu import (  # chapter 22
    check_tanh_derivative,
    check_relu_active_fraction,
    check_tanh_chain_derivative,
)
from .lrn import (  # chapter 23
    check_lrn_alpha,
    check_lrn_response,
)
from .pooling import (  # chapter 24
    check_pool_coverage,
    check_equal_pool_sizes,
    check_pool_receptive_field,
)
from .dropout import (  # chapter 31
    check_dropout_subnetworks,
    check_dropout_factor,
    check_dropout_moment,
)
from .training import (  # chapter 32
    check_paper_sgd_step,
    check_step_after_drop,
    check_decay_half_life,
)
from .multigpu import (  # chapter 33
    check_transfer_ms,
    check_training_days,
    check_process_share,
)
from .ten_crop import (  # chapter 41
    check_ten_crop_origin,
    check_ten_crop_coverage,
)
from .first_layer import (  # chapter 42
    check_colour_fraction,
    check_mosaic_cell,
)
from .neighbours import (  # chapter 43
    check_nearest_neighbours,
    check_share_same_class,
    check_chance_share,
)
from .inside import (  # chapter 44
    check_map_size,
    check_relu_zero_share,
    check_lrn_value,
)
from .ensembles import (  # chapter 45
    check_ensemble_prediction,
    check_ensemble_error,
    check_majority_error,
)
from .popular_accounts import (  # chapter 51
    check_account_param_claim,
    check_table2_test_entries,
    check_final_learning_rates,
)

__all__ = [
    "check_topk_error",
    "check_random_topk_error",
    "check_error_gap_standard_errors",
    "check_rescaled_size",
    "check_crop_fraction",
    "check_mean_image",
    "check_distinct_patches",
    "check_pca_shift_rms",
    "check_conv1_inputs",
    "check_pool5_shape",
    "check_smallest_input",
    "check_layer_params",
    "check_layer_macs",
    "check_column_exchange",
    "check_conv_param_share",
    "check_tanh_derivative",
    "check_relu_active_fraction",
    "check_tanh_chain_derivative",
    "check_lrn_alpha",
    "check_lrn_response",
    "check_pool_coverage",
    "check_equal_pool_sizes",
    "check_pool_receptive_field",
    "check_dropout_subnetworks",
    "check_dropout_factor",
    "check_dropout_moment",
    "check_paper_sgd_step",
    "check_step_after_drop",
    "check_decay_half_life",
    "check_transfer_ms",
    "check_training_days",
    "check_process_share",
    "check_ten_crop_origin",
    "check_ten_crop_coverage",
    "check_colour_fraction",
    "check_mosaic_cell",
    "check_nearest_neighbours",
    "check_share_same_class",
    "check_chance_share",
    "check_map_size",
    "check_relu_zero_share",
    "check_lrn_value",
    "check_ensemble_prediction",
    "check_ensemble_error",
    "check_majority_error",
    "check_account_param_claim",
    "check_table2_test_entries",
    "check_final_learning_rates",
]
