namespace OrleansFlow.Client.Evaluation;

/// <summary>
/// What a <c>fid-table</c> run measures on: the rows, the 1-rectified flow the trajectory error solves
/// with, and the evaluation network and reference batch (one registry name for both, as the push
/// scripts store them). Fashion-MNIST is the main job; the 8×8 digits stay as the one-minute check.
/// </summary>
/// <param name="Name">What <c>--data</c> takes.</param>
/// <param name="FidLabel">The FID column's header: FID of this data set's own feature network, not Inception's.</param>
/// <param name="EvaluationName">Registry name of the evaluation network and of the reference batch.</param>
/// <param name="FidDirectory">The directory under <c>--models</c> with eval.pt and reference-batch.npz (no registry).</param>
/// <param name="TrajectoryPackage">The model whose converged solve every row's trajectory error is measured against.</param>
/// <param name="ReferenceImages">Images in the reference batch.</param>
/// <param name="PushScript">What puts the committed packages into a registry.</param>
internal sealed record FidTableDataSet(
    string Name, string FidLabel, string EvaluationName, string FidDirectory, string TrajectoryPackage, int ReferenceImages, IReadOnlyList<FidTableRow> Rows, string PushScript)
{
    public static FidTableDataSet Digits { get; } = new(
        "digits", "FID-digits", "digits-eval", "digits-fid", "digits-rf", 1_797, FidTableRow.Digits, "tools/push_digits_models.sh");

    public static FidTableDataSet Fashion { get; } = new(
        "fashion", "FID-fashion", "fashion-eval", "fashion-fid", "fashion-rf", 10_000, FidTableRow.Fashion, "tools/push_fashion_models.sh");

    public static IReadOnlyList<FidTableDataSet> All { get; } = [Fashion, Digits];

    public static FidTableDataSet Parse(string value) =>
        All.FirstOrDefault(d => d.Name == value)
        ?? throw new SpecException("data", $"'{value}' is not a data set: use {string.Join(" or ", All.Select(d => d.Name))}");
}
