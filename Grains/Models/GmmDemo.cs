using OrleansFlow.Ids;

namespace OrleansFlow.Models;

/// <summary>
/// The built-in <c>gmm-demo</c>: a class-conditional mixture of 10 isotropic Gaussians in 3×8×8, one per
/// class, equal weights 0.1. Class k has std s_k = 0.15 + 0.015·k and mean
/// μ_k[c, y, x] = 0.7·cos(2π·(u_k·x + v_k·y)/8 + 2π·c/3 + k) with u_k = 1 + (k mod 3), v_k = ⌊k/3⌋:
/// coloured stripes of a different direction and frequency per class. (Documented in README.md.)
/// </summary>
public static class GmmDemo
{
    public const string Name = "gmm-demo";
    public const int Classes = 10;

    public static GaussianMixtureFlow Create()
    {
        var shape = new Resolution(3, 8, 8);
        var components = new MixtureComponent[Classes];
        for (var k = 0; k < Classes; k++)
        {
            var (u, v) = (1 + k % 3, k / 3);
            var mean = new double[shape.Elements];
            for (var c = 0; c < shape.Channels; c++)
            {
                for (var y = 0; y < shape.Height; y++)
                {
                    for (var x = 0; x < shape.Width; x++)
                    {
                        mean[(c * shape.Height + y) * shape.Width + x] =
                            0.7 * Math.Cos(2 * Math.PI * (u * x + v * y) / 8 + 2 * Math.PI * c / 3 + k);
                    }
                }
            }

            components[k] = new MixtureComponent(0.1, mean, 0.15 + 0.015 * k, k);
        }

        return new GaussianMixtureFlow(Name, shape, components, conditional: true);
    }
}
