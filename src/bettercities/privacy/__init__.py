"""Statistical disclosure control: which published cells an audience may not see, and why.

Protection rules per indicator or dataset (minimum frequency, dominance, p%, the cell-key method), primary
and secondary (complementary) suppression solved as a mixed-integer program (HiGHS through scipy), an
attacker's audit by linear programming, and the cell-key method with a published p-table. The publication
step applies the result to every output (see docs/privacy.md).
"""
