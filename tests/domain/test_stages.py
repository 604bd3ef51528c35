"""The stage machine's rules, without a database."""

from recon.domain.stages import Stage, next_stage_after_done, stage_for_done


class TestNextStageAfterDone:
    def test_inspection_that_found_work_goes_to_the_shop(self) -> None:
        assert (
            next_stage_after_done("inspection", open_shop_work=True, open_vendor_work=False)
            == Stage.MECHANICAL
        )

    def test_inspection_that_found_nothing_skips_the_shop(self) -> None:
        assert (
            next_stage_after_done("inspection", open_shop_work=False, open_vendor_work=False)
            == Stage.DETAIL
        )

    def test_shop_hands_over_to_sublet_only_with_outside_work_open(self) -> None:
        assert (
            next_stage_after_done("mechanical", open_shop_work=False, open_vendor_work=True)
            == Stage.SUBLET
        )
        assert (
            next_stage_after_done("mechanical", open_shop_work=False, open_vendor_work=False)
            == Stage.DETAIL
        )

    def test_sublet_returns_to_detail_unless_mechanical_work_is_open(self) -> None:
        assert (
            next_stage_after_done("sublet", open_shop_work=False, open_vendor_work=False)
            == Stage.DETAIL
        )
        assert (
            next_stage_after_done("sublet", open_shop_work=True, open_vendor_work=False)
            == Stage.MECHANICAL
        )

    def test_the_tail_of_the_flow(self) -> None:
        flow = {
            "detail": "photos",
            "photos": "frontline",
            "frontline": "sold",
            "intake": "inspection",
        }
        for done, expected in flow.items():
            assert (
                next_stage_after_done(done, open_shop_work=False, open_vendor_work=False)
                == expected
            )


class TestStageForDone:
    def test_detailer_done_is_detail(self) -> None:
        assert stage_for_done("detailer", "mechanical") == Stage.DETAIL

    def test_photographer_done_is_photos(self) -> None:
        assert stage_for_done("photographer", "photos") == Stage.PHOTOS

    def test_technician_done_is_the_current_shop_step(self) -> None:
        assert stage_for_done("technician", "inspection") == Stage.INSPECTION
        assert stage_for_done("technician", "intake") == Stage.INSPECTION
        assert stage_for_done("technician", "mechanical") == Stage.MECHANICAL

    def test_manager_done_is_the_current_stage(self) -> None:
        assert stage_for_done("used_car_manager", "photos") == Stage.PHOTOS
