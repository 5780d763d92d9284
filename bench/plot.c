// SPDX-License-Identifier: BSD-3-Clause
/*
 * PNG plots through gnuplot (Debian's gnuplot-nox): the figures go in as
 * an inline data block, so nothing but the PNG is left behind.
 */
#include <errno.h>
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

static FILE *gnuplot_open(const char *png, const char *title,
			  const char *ylabel, unsigned int n, char *why,
			  size_t why_len)
{
	FILE *g;

	fflush(NULL);
	g = popen("gnuplot 2>&1", "w");
	if (!g) {
		snprintf(why, why_len, "gnuplot: %s", strerror(errno));
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

static int gnuplot_close(FILE *g, char *why, size_t why_len)
{
	int status = pclose(g);

	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, why_len,
			 "gnuplot failed (status %d; is "
			 "gnuplot-nox installed?)",
			 status);
		return -1;
	}
	return 0;
}

int plot_bars(const char *png, const char *title, const char *ylabel,
	      const struct plot_row *rows, unsigned int n, int log_y, char *why,
	      size_t why_len)
{
	unsigned int i;
	FILE *g;

	if (!n) {
		snprintf(why, why_len, "no figures");
		return -1;
	}
	g = gnuplot_open(png, title, ylabel, n, why, why_len);
	if (!g)
		return -1;
	fprintf(g, "%s\nset boxwidth 0.6\nset xrange [-0.6:%u.6]\n",
		log_y ? "set logscale y" : "set yrange [0:*]", n - 1);
	fprintf(g, "$d << EOD\n");
	for (i = 0; i < n; i++) {
		put_label(g, rows[i].label);
		fprintf(g, " %g %g %g\n", rows[i].med, rows[i].min,
			rows[i].max);
	}
	fprintf(g, "EOD\n"
		   "plot $d using 0:2:xtic(1) with boxes title 'median', "
		   "'' using 0:2:3:4 with yerrorbars lc rgb 'black' pt -1 "
		   "title 'min-max over the reps'\n");
	return gnuplot_close(g, why, why_len);
}

int plot_groups(const char *png, const char *title, const char *ylabel,
		const char *const *labels, unsigned int n,
		const char *const *series, unsigned int k, const double *v,
		int log_y, char *why, size_t why_len)
{
	unsigned int i, j;
	FILE *g;

	if (!n || !k) {
		snprintf(why, why_len, "no figures");
		return -1;
	}
	g = gnuplot_open(png, title, ylabel, n, why, why_len);
	if (!g)
		return -1;
	fprintf(g,
		"%s\nset style data histograms\n"
		"set style histogram clustered gap 1\n$d << EOD\n",
		log_y ? "set logscale y" : "set yrange [0:*]");
	for (i = 0; i < n; i++) {
		put_label(g, labels[i]);
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
	return gnuplot_close(g, why, why_len);
}
