"""RB7xx: RedBrick label geometry: 2-D coordinates and shapes, 3-D points against the series' image grid,
measurements against their points, and frame, file and track indices."""

from rb_lint.rules.geometry.angle_mismatch import angle_mismatch
from rb_lint.rules.geometry.box_outside_image import box_outside_image
from rb_lint.rules.geometry.file_index_out_of_range import file_index_out_of_range
from rb_lint.rules.geometry.frame_index_out_of_range import frame_index_out_of_range
from rb_lint.rules.geometry.invalid_polygon_ring import invalid_polygon_ring
from rb_lint.rules.geometry.length_mismatch import length_mismatch
from rb_lint.rules.geometry.normal_not_unit import normal_not_unit
from rb_lint.rules.geometry.normalized_coordinate_out_of_range import normalized_coordinate_out_of_range
from rb_lint.rules.geometry.series_item_index_out_of_range import series_item_index_out_of_range
from rb_lint.rules.geometry.too_few_vertices import too_few_vertices
from rb_lint.rules.geometry.track_end_not_last import track_end_not_last
from rb_lint.rules.geometry.voxel_outside_grid import voxel_outside_grid
from rb_lint.rules.geometry.world_point_mismatch import world_point_mismatch
from rb_lint.rules.geometry.zero_radius_ellipse import zero_radius_ellipse
from rb_lint.rules.geometry.zero_size_box import zero_size_box

RULES = [
    normalized_coordinate_out_of_range,  # RB700
    box_outside_image,  # RB701
    zero_size_box,  # RB702
    zero_radius_ellipse,  # RB703
    too_few_vertices,  # RB704
    invalid_polygon_ring,  # RB705
    voxel_outside_grid,  # RB706
    world_point_mismatch,  # RB707
    length_mismatch,  # RB708
    angle_mismatch,  # RB709
    normal_not_unit,  # RB710
    frame_index_out_of_range,  # RB711
    file_index_out_of_range,  # RB712
    series_item_index_out_of_range,  # RB713
    track_end_not_last,  # RB714
]
