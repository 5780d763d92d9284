// SPDX-License-Identifier: BSD-3-Clause
/*
 * PNG plots through gnuplot (Debian's gnuplot-nox): the figures go in as
 * an inline data block, so nothing but the PNG is left behind.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "bench.h"

/* A label as a gnuplot string: double quotes, none inside. */
static void put_label(FILE *g, const char *s)
{
	fputc('"', g);
	for (; *s; s++)
		fputc(*s == '"' ? '\'' : *s, g);
	fputc('"', g);
}

/* A row's label: "[loop ]name[ (backend)]". */
static void put_row_label(FILE *g, const struct plot_label *l)
{
	char s[160];
	int k;

	k = snprintf(s, sizeof(s), "%s%s%s", l->loop ? l->loop : "",
		     l->loop ? " " : "", l->name);
	if (l->backend && k >= 0 && (size_t)k < sizeof(s))
		snprintf(s + k, sizeof(s) - (size_t)k, " (%s)", l->backend);
	put_label(g, s);
}

/* A plot that cannot be made leaves the run alone: it is only said. */
static void __attribute__((format(printf, 2, 3)))
no_plot(const char *png, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hotsock-bench: no plot %s: ", png);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* gnuplot, set to write @file (into *@png: its path) for @n rows; or
 * NULL, said on stderr. */
static FILE *gnuplot_open(const struct config *cfg, const char *file,
			  const char *title, const char *ylabel, unsigned int n,
			  char *png, size_t png_len)
{
	FILE *g;

	snprintf(png, png_len, "%s/%s", cfg->plot_dir, file);
	if (!n) {
		no_plot(png, "no figures");
		return NULL;
	}
	fflush(NULL);
	g = popen("gnuplot 2>&1", "w");
	if (!g) {
		no_plot(png, "gnuplot: %s", strerror(errno));
		return NULL;
	}
	fprintf(g,
		"set terminal pngcairo size %u,640 noenhanced font ',10'\n"
		"set output ",
		n > 8 ? 1100 : 900);
	put_label(g, png);
	fprintf(g, "\nset title ");
	put_label(g, title);
	fprintf(g, "\nset ylabel ");
	put_label(g, ylabel);
	fprintf(g, "\nset grid ytics\nset key above\n"
		   "set xtics rotate by 30 right nomirror\n"
		   "set bmargin 11\nset lmargin 16\n"
		   "set style fill solid 0.5 border -1\n");
	return g;
}

static void gnuplot_close(FILE *g, const char *png)
{
	int status = pclose(g);

	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status))
		no_plot(png,
			"gnuplot failed (status %d; is gnuplot-nox "
			"installed?)",
			status);
}

void plot_bars(const struct config *cfg, const char *file, const char *title,
	       const char *ylabel, const struct plot_row *rows, unsigned int n,
	       int log_y)
{
	char png[512];
	unsigned int i;
	FILE *g;

	g = gnuplot_open(cfg, file, title, ylabel, n, png, sizeof(png));
	if (!g)
		return;
	fprintf(g, "%s\nset boxwidth 0.6\nset xrange [-0.6:%u.6]\n",
		log_y ? "set logscale y" : "set yrange [0:*]", n - 1);
	fprintf(g, "$d << EOD\n");
	for (i = 0; i < n; i++) {
		put_row_label(g, &rows[i].label);
		fprintf(g, " %g %g %g\n", rows[i].v.med, rows[i].v.min,
			rows[i].v.max);
	}
	fprintf(g, "EOD\n"
		   "plot $d using 0:2:xtic(1) with boxes title 'median', "
		   "'' using 0:2:3:4 with yerrorbars lc rgb 'black' pt -1 "
		   "title 'min-max over the reps'\n");
	gnuplot_close(g, png);
}

void plot_groups(const struct config *cfg, const char *file, const char *title,
		 const char *ylabel, const struct plot_label *labels,
		 unsigned int n, const char *const *series, unsigned int k,
		 const double *v, int log_y)
{
	char png[512];
	unsigned int i, j;
	FILE *g;

	/* No series: no figures either. */
	g = gnuplot_open(cfg, file, title, ylabel, k ? n : 0, png, sizeof(png));
	if (!g)
		return;
	fprintf(g,
		"%s\nset style data histograms\n"
		"set style histogram clustered gap 1\n$d << EOD\n",
		log_y ? "set logscale y" : "set yrange [0:*]");
	for (i = 0; i < n; i++) {
		put_row_label(g, &labels[i]);
		for (j = 0; j < k; j++)
			fprintf(g, " %g",
				v[i * k + j] > 0 ? v[i * k + j] : 1e-3);
		fputc('\n', g);
	}
	fprintf(g, "EOD\nplot");
	for (j = 0; j < k; j++) {
		fprintf(g, "%s $d using %u%s title ", j ? "," : "", j + 2,
			j ? "" : ":xtic(1)");
		put_label(g, series[j]);
	}
	fputc('\n', g);
	gnuplot_close(g, png);
}
