package org.hotline.ops.report;

import java.util.Locale;
import java.util.Map;

import org.springframework.stereotype.Component;

/**
 * Charts drawn by the service as SVG (no JavaScript in the browser): bookings per hour, and the share of
 * each age band. Shapes use crisp edges and fixed colours, so what a browser paints can be measured.
 */
@Component
public class SvgCharts {

    /** The bars of the bookings-per-hour chart. */
    public static final String HOUR_BAR = "#1565c0";
    /** Age bands: under 60, 60–79, 80+. */
    public static final String[] BAND_COLOURS = {"#2e7d32", "#f9a825", "#c62828"};

    public static final int HOURLY_WIDTH = 760;
    public static final int HOURLY_HEIGHT = 320;
    static final int LEFT = 50;
    static final int TOP = 40;
    static final int BOTTOM = 40;
    static final int BAR_SLOT = 28; // 24 hours × 28 px = 672 px of plot
    static final int BAR_WIDTH = 18;

    /** The x of hour {@code h}'s bar, and its left edge, in SVG units (for tests that measure a picture). */
    public static int hourBarLeft(int h) {
        return LEFT + h * BAR_SLOT + (BAR_SLOT - BAR_WIDTH) / 2;
    }

    public static int hourPlotHeight() {
        return HOURLY_HEIGHT - TOP - BOTTOM;
    }

    public String bookingsPerHour(String title, int[] perHour) {
        int max = 0;
        for (int n : perHour) {
            max = Math.max(max, n);
        }
        int plot = hourPlotHeight();
        int baseY = TOP + plot;
        StringBuilder svg = open(HOURLY_WIDTH, HOURLY_HEIGHT, title);
        svg.append(text(LEFT, 24, 16, "start", title));
        svg.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\" stroke-width=\"1\"/>%n", LEFT, baseY,
                LEFT + 24 * BAR_SLOT, baseY));
        svg.append(text(LEFT - 6, TOP + 5, 11, "end", String.valueOf(max)));
        svg.append(text(LEFT - 6, baseY, 11, "end", "0"));
        for (int h = 0; h < 24; h++) {
            int height = max == 0 ? 0 : Math.round((float) perHour[h] * plot / max);
            int x = hourBarLeft(h);
            if (height > 0) {
                svg.append(String.format(Locale.ROOT,
                        "<rect class=\"bar\" data-hour=\"%d\" data-count=\"%d\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%d 时：%d</title></rect>%n",
                        h, perHour[h], x, baseY - height, BAR_WIDTH, height, HOUR_BAR, h, perHour[h]));
                svg.append(text(x + BAR_WIDTH / 2, baseY - height - 4, 10, "middle", String.valueOf(perHour[h])));
            }
            if (h % 2 == 0) {
                svg.append(text(x + BAR_WIDTH / 2, baseY + 16, 11, "middle", String.valueOf(h)));
            }
        }
        svg.append(text(LEFT + 24 * BAR_SLOT, baseY + 34, 11, "end", "时（按下单时间）"));
        return svg.append("</svg>\n").toString();
    }

    public static final int SHARE_WIDTH = 760;
    public static final int SHARE_HEIGHT = 170;
    public static final int SHARE_BAR_LEFT = 20;
    public static final int SHARE_BAR_WIDTH = 720;
    public static final int SHARE_BAR_TOP = 44;
    public static final int SHARE_BAR_HEIGHT = 48;

    /** One 100 % bar cut by age band, widths proportional to the counts, with a legend. */
    public String ageBandShare(String title, Map<AgeBand, Integer> counts) {
        int total = 0;
        for (AgeBand b : AgeBand.values()) {
            total += counts.getOrDefault(b, 0);
        }
        StringBuilder svg = open(SHARE_WIDTH, SHARE_HEIGHT, title);
        svg.append(text(SHARE_BAR_LEFT, 24, 16, "start", title));
        if (total == 0) {
            svg.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#eeeeee\"/>%n", SHARE_BAR_LEFT,
                    SHARE_BAR_TOP, SHARE_BAR_WIDTH, SHARE_BAR_HEIGHT));
            svg.append(text(SHARE_BAR_LEFT + SHARE_BAR_WIDTH / 2, SHARE_BAR_TOP + 30, 14, "middle", "无预约"));
        }
        int x = SHARE_BAR_LEFT;
        int done = 0;
        AgeBand[] bands = AgeBand.values();
        for (int i = 0; i < bands.length && total > 0; i++) {
            int n = counts.getOrDefault(bands[i], 0);
            done += n;
            // cumulative rounding: the parts always add up to the whole bar
            int right = SHARE_BAR_LEFT + Math.round((float) done * SHARE_BAR_WIDTH / total);
            if (right > x) {
                svg.append(String.format(Locale.ROOT,
                        "<rect class=\"band\" data-band=\"%s\" data-count=\"%d\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s：%d</title></rect>%n",
                        bands[i].name(), n, x, SHARE_BAR_TOP, right - x, SHARE_BAR_HEIGHT, BAND_COLOURS[i],
                        bands[i].label(), n));
            }
            x = right;
        }
        int lx = SHARE_BAR_LEFT;
        for (int i = 0; i < bands.length; i++) {
            int n = counts.getOrDefault(bands[i], 0);
            int ly = SHARE_BAR_TOP + SHARE_BAR_HEIGHT + 30;
            svg.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>%n", lx, ly - 12, BAND_COLOURS[i]));
            String share = total == 0 ? "—" : Format.percent((double) n / total);
            svg.append(text(lx + 20, ly, 13, "start", bands[i].label() + " " + n + "（" + share + "）"));
            lx += 240;
        }
        return svg.append("</svg>\n").toString();
    }

    /** XML escaping only: an SVG file knows no HTML entities such as &amp;ndash;. */
    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static StringBuilder open(int width, int height, String title) {
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"%s\">%n",
                width, height, width, height, xml(title)));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", width, height));
        return svg;
    }

    private static String text(int x, int y, int size, String anchor, String s) {
        return String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" font-size=\"%d\" text-anchor=\"%s\" fill=\"#222\" font-family=\"sans-serif\" shape-rendering=\"auto\">%s</text>%n",
                x, y, size, anchor, xml(s));
    }
}
